//! A request body its handler left unread is read to its end, within bounds, before the answer
//! goes out.
//!
//! Browsers (and many clients) send the whole body before they read the answer. When a
//! handler refuses an upload (too large, too many, not signed in) without reading it all, hyper
//! answers and closes the connection with the body unread: the client sees a reset, not the
//! page or problem that says why. So every route's unread rest is read and dropped: at most
//! [`DRAIN_BYTES`] more and for at most [`DRAIN_TIME`]. A body whose Content-Length says it is
//! larger still is left unread (the connection closes), and so is one a client holds back until
//! `100 Continue` when the handler never asked for it: that client reads the answer first.

use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use axum::body::{Body, BodyDataStream, HttpBody as _};
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;

/// How much of an unread body is still read after the handler answered.
const DRAIN_BYTES: u64 = 32 * 1024 * 1024;
/// How long it is read for.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The request body as the handler reads it, shared with the layer that drains its rest.
struct Unread {
    stream: BodyDataStream,
    /// Bytes the handler read.
    read: u64,
    /// Whether the handler polled the body at all (hyper sends `100 Continue` then).
    polled: bool,
    /// Whether the body ended.
    ended: bool,
}

/// The layer: passes the request on with its body shared, then drains what the handler left.
pub async fn read_unread_bodies(request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let declared = declared_length(&parts.headers);
    let expects_continue = parts
        .headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let shared = Arc::new(Mutex::new(Some(Unread {
        stream: body.into_data_stream(),
        read: 0,
        polled: false,
        ended: false,
    })));
    let handler_side = Arc::clone(&shared);
    let stream = futures_util::stream::poll_fn(move |cx| {
        let mut slot = crate::lock_unpoisoned(&handler_side);
        let Some(unread) = slot.as_mut() else {
            return Poll::Ready(None);
        };
        unread.polled = true;
        let polled = unread.stream.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                unread.read = unread.read.saturating_add(chunk.len() as u64)
            }
            Poll::Ready(None) => unread.ended = true,
            _ => {}
        }
        polled
    });
    let response = next
        .run(Request::from_parts(parts, Body::from_stream(stream)))
        .await;
    let unread = crate::lock_unpoisoned(&shared).take();
    if let Some(unread) = unread
        && !unread.ended
        && (unread.polled || !expects_continue)
    {
        drain(unread, declared).await;
    }
    response
}

/// Reads and drops the rest of `unread`: up to [`DRAIN_BYTES`] more, within [`DRAIN_TIME`], and
/// not at all when the declared length is larger still.
async fn drain(mut unread: Unread, declared: Option<u64>) {
    let up_to = unread.read.saturating_add(DRAIN_BYTES);
    if declared.is_some_and(|length| length > up_to) {
        return;
    }
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    while unread.read <= up_to {
        match tokio::time::timeout_at(deadline, unread.stream.next()).await {
            Ok(Some(Ok(chunk))) => unread.read = unread.read.saturating_add(chunk.len() as u64),
            // The end of the body, a broken connection or the time is up.
            Ok(None | Some(Err(_))) | Err(_) => break,
        }
    }
}

/// The body's length as its Content-Length header declares it.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

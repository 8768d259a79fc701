"""Real RFC 3161 TSA and RFC 6960 OCSP responders for tests: OpenSSL's `openssl ts -reply` and
`openssl ocsp` behind a small HTTP server on loopback.

Usage:
  python3 openssl_responder.py tsa OPENSSL_TS_CONFIG
  python3 openssl_responder.py ocsp INDEX CA_CERT RESPONDER_CERT RESPONDER_KEY
Listens on 127.0.0.1 on a free port, prints the port on the first line of stdout, and answers
POSTed queries until it is killed.
"""
import http.server
import os
import subprocess
import sys
import tempfile

MODE = sys.argv[1]
ARGS = sys.argv[2:]


def answer(query_path, reply_path):
    if MODE == "tsa":
        command = ["openssl", "ts", "-reply", "-config", ARGS[0], "-queryfile", query_path, "-out", reply_path]
    else:
        index, ca, rsigner, rkey = ARGS
        command = [
            "openssl", "ocsp", "-index", index, "-CA", ca, "-rsigner", rsigner, "-rkey", rkey,
            "-reqin", query_path, "-respout", reply_path, "-ndays", "1",
        ]
    return subprocess.run(command, capture_output=True)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        query = self.rfile.read(min(length, 65536))
        with tempfile.TemporaryDirectory() as work:
            query_path = os.path.join(work, "query.der")
            reply_path = os.path.join(work, "reply.der")
            with open(query_path, "wb") as f:
                f.write(query)
            result = answer(query_path, reply_path)
            if result.returncode != 0 or not os.path.exists(reply_path):
                sys.stderr.write(result.stderr.decode(errors="replace"))
                self.send_response(500)
                self.end_headers()
                return
            with open(reply_path, "rb") as f:
                reply = f.read()
        self.send_response(200)
        kind = "timestamp-reply" if MODE == "tsa" else "ocsp-response"
        self.send_header("Content-Type", "application/" + kind)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()

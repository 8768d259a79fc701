"""A real RFC 3161 TSA for tests: OpenSSL's `openssl ts -reply` behind a small HTTP server.

Usage: python3 tsa_shim.py OPENSSL_TS_CONFIG. Listens on 127.0.0.1 on a free port, prints the port
on the first line of stdout, answers POSTed timestamp queries until it is killed.
"""
import http.server
import os
import subprocess
import sys
import tempfile

CONFIG = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        query = self.rfile.read(min(length, 65536))
        with tempfile.TemporaryDirectory() as work:
            query_path = os.path.join(work, "query.tsq")
            reply_path = os.path.join(work, "reply.tsr")
            with open(query_path, "wb") as f:
                f.write(query)
            result = subprocess.run(
                ["openssl", "ts", "-reply", "-config", CONFIG, "-queryfile", query_path, "-out", reply_path],
                capture_output=True,
            )
            if result.returncode != 0:
                sys.stderr.write(result.stderr.decode(errors="replace"))
                self.send_response(500)
                self.end_headers()
                return
            with open(reply_path, "rb") as f:
                reply = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()

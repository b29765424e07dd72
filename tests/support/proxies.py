"""Loopback proxies that inject faults in front of a real registry or Docker engine."""

import http.client
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.net import free_port

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
}


class FailingProxy:
    """An HTTP proxy on a free loopback port in front of `upstream` (host:port).

    A request whose method and path make `should_fail(method, path)` true
    gets HTTP 500, at most `max_failures` times in all. Every other request
    goes to the upstream registry. Bodies are buffered in memory, so this is
    for test images of a few MiB.
    """

    def __init__(self, upstream, should_fail=None, max_failures=100, port=None):
        self.upstream = upstream
        self.should_fail = should_fail or (lambda method, path: False)
        self.max_failures = max_failures
        self.failures = 0
        self.requests = []
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._server = None

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy._handle(self)

            do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take_failure(self, method, path):
        with self._lock:
            self.requests.append((method, path))
            if self.failures < self.max_failures and self.should_fail(method, path):
                self.failures += 1
                return True
        return False

    def _handle(self, handler):
        body = _read_body(handler)
        if self._take_failure(handler.command, handler.path):
            _reply(
                handler,
                500,
                {"Content-Type": "application/json"},
                b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}',
            )
            return
        host, port = self.upstream.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
        }
        if body or handler.command in ("PUT", "POST", "PATCH"):
            headers["Content-Length"] = str(len(body))
        try:
            connection.request(
                handler.command, handler.path, body=body, headers=headers
            )
            response = connection.getresponse()
            data = response.read()
        except OSError:
            handler.close_connection = True
            return
        finally:
            connection.close()
        out = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
        _reply(handler, response.status, out, data, head=handler.command == "HEAD")


def _read_body(handler):
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _reply(handler, status, headers, body, head=False):
    handler.send_response(status)
    for key, value in headers.items():
        if key.lower() == "content-length" and head:
            handler.send_header(key, value)
        elif key.lower() != "content-length":
            handler.send_header(key, value)
    if not head:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if not head:
        handler.wfile.write(body)


class UnixSocketRelay:
    """A unix socket that relays bytes to another one, until `cut()` closes both sides.

    Pointing DOCKER_HOST at the relay lets a test take the Docker engine
    away from one client in the middle of a command, while the engine keeps
    serving everyone else.
    """

    def __init__(self, path, target="/var/run/docker.sock"):
        self.path = str(path)
        self.target = target
        self.connections = 0
        self._sockets = []
        self._lock = threading.Lock()
        self._listener = None

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def cut(self):
        """Stop accepting and close every relayed connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener:
            listener.close()
        for each in sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            each.close()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def _accept(self):
        while True:
            listener = self._listener
            if listener is None:
                return
            try:
                client, _ = listener.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect(self.target)
            with self._lock:
                self.connections += 1
                self._sockets += [client, engine]
            for source, sink in ((client, engine), (engine, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

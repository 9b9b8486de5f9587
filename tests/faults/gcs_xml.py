#!/usr/bin/env python3
"""The part of Google Cloud Storage's XML API that fake-gcs-server lacks.

kiln's GCS client (object_store) writes through the XML API: a plain
`PUT /bucket/object` and the XML multipart upload (`POST ?uploads`,
`PUT ?partNumber&uploadId`, `POST ?uploadId`, `DELETE ?uploadId`).
fake-gcs-server answers those with 400 "invalid uploadType" (it takes XML
writes only as signed URLs), while it serves the XML reads, listings and
deletes. This server sits on loopback in front of it and turns each such
write into fake-gcs-server's own JSON media upload, so the object lands in
the real emulator; everything else is passed through unchanged.

Usage: gcs_xml.py LISTEN_PORT UPSTREAM_PORT
"""

import hashlib
import http.client
import http.server
import json
import re
import sys
import threading
import urllib.parse
import uuid

UPSTREAM = ("127.0.0.1", int(sys.argv[2]))
uploads = {}  # upload id -> {part number: bytes}
lock = threading.Lock()


def upstream(method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection(*UPSTREAM, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self, status, body=b"", headers=(), length=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def target(self):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.lstrip("/").split("/", 1)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if len(parts) != 2 or parts[0] in ("storage", "upload", "download", "_internal"):
            return None, None, query
        return urllib.parse.unquote(parts[0]), urllib.parse.unquote(parts[1]), query

    def media_upload(self, bucket, name, data):
        path = "/upload/storage/v1/b/%s/o?uploadType=media&name=%s" % (
            urllib.parse.quote(bucket, safe=""), urllib.parse.quote(name, safe=""))
        match = self.headers.get("x-goog-if-generation-match")
        if match is not None:
            path += "&ifGenerationMatch=" + urllib.parse.quote(match)
        resp, out = upstream("POST", path, data, {
            "Content-Type": self.headers.get("Content-Type", "application/octet-stream")})
        if resp.status != 200:
            self.answer(resp.status, out)
            return None
        meta = json.loads(out)
        return [("ETag", '"%s"' % meta.get("etag", "")),
                ("x-goog-generation", str(meta.get("generation", "")))]

    def passthrough(self):
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = "%s:%d" % UPSTREAM
        resp, data = upstream(self.command, self.path, self.body(), headers)
        if resp.status == 500 and b"<Message>no bucket named" in data:
            return self.answer(404, b"<Error><Code>NoSuchBucket</Code></Error>")
        skip = {"content-length", "transfer-encoding", "connection"}
        # A HEAD answer carries the object's length, not its own.
        length = resp.getheader("Content-Length") if self.command == "HEAD" else None
        self.answer(resp.status, data,
                    [(k, v) for k, v in resp.getheaders() if k.lower() not in skip], length)

    def do_GET(self):
        self.passthrough()

    def do_HEAD(self):
        self.passthrough()

    def do_DELETE(self):
        bucket, name, query = self.target()
        if bucket and "uploadId" in query:
            with lock:
                uploads.pop(query["uploadId"][0], None)
            return self.answer(204)
        self.passthrough()

    def do_PUT(self):
        bucket, name, query = self.target()
        if not bucket or "x-goog-copy-source" in self.headers:
            return self.passthrough()
        data = self.body()
        if "uploadId" in query:
            with lock:
                parts = uploads.get(query["uploadId"][0])
                if parts is None:
                    return self.answer(404, b"no such upload")
                parts[int(query["partNumber"][0])] = data
            return self.answer(200, b"", [("ETag", '"%s"' % hashlib.md5(data).hexdigest())])
        headers = self.media_upload(bucket, name, data)
        if headers is not None:
            self.answer(200, b"", headers)

    def do_POST(self):
        bucket, name, query = self.target()
        if not bucket:
            return self.passthrough()
        if "uploads" in query:
            self.body()
            upload = uuid.uuid4().hex
            with lock:
                uploads[upload] = {}
            xml = ("<InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key>"
                   "<UploadId>%s</UploadId></InitiateMultipartUploadResult>" % (bucket, name, upload))
            return self.answer(200, xml.encode())
        if "uploadId" in query:
            listed = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", self.body())]
            with lock:
                parts = uploads.pop(query["uploadId"][0], None)
            if parts is None or any(n not in parts for n in listed):
                return self.answer(400, b"unknown upload or part")
            headers = self.media_upload(bucket, name, b"".join(parts[n] for n in listed))
            if headers is not None:
                xml = ("<CompleteMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key>"
                       "<ETag>%s</ETag></CompleteMultipartUploadResult>" % (bucket, name, headers[0][1]))
                self.answer(200, xml.encode(), headers)
            return
        self.passthrough()


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.daemon_threads = True
server.serve_forever()

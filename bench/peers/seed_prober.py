#!/usr/bin/env python3
"""The peer of `npm run bench -- peer`: a prober of the design of the seed blog post ("Using Python
and Docker to monitor Ceph S3 from the internet"): boto3's resource API and prometheus_client, one
Python loop, a Summary, a Gauge and a Histogram per task, timed by decorators.

Kept as close to that design as a fair comparison allows; the differences, and why:
- several targets (PEER_TARGETS, each its own bucket) run one after the other in the one loop,
  where the post runs one container per endpoint;
- the loop starts a cycle per target every PEER_INTERVAL seconds (on the clock, as s3prober's
  schedule does) instead of sleeping a fixed time after each cycle;
- objects are PEER_OBJECT_SIZE bytes (s3prober's bench uses 4 KiB) and the downloaded bytes are
  compared in full, as the post's compare_object does;
- a counter of HTTP requests (botocore's before-send event) lets the bench divide CPU by requests.
"""
import logging
import os
import random
import signal
import sys
import time
from io import BytesIO

import boto3
from botocore.config import Config
from prometheus_client import Counter, Gauge, Histogram, Summary, start_http_server

ENDPOINT = os.environ["PEER_ENDPOINT"]
ACCESS_KEY = os.environ["PEER_ACCESS_KEY"]
SECRET_KEY = os.environ["PEER_SECRET_KEY"]
PORT = int(os.environ.get("PEER_PORT", "9102"))
TARGETS = int(os.environ.get("PEER_TARGETS", "1"))
INTERVAL = float(os.environ.get("PEER_INTERVAL", "1"))
OBJECT_SIZE = int(os.environ.get("PEER_OBJECT_SIZE", "4096"))
OBJCOUNT = int(os.environ.get("PEER_OBJECTS", "15"))
PREFIX = os.environ.get("PEER_BUCKET_PREFIX", "peer")
BUCKETS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1]

ALL_TESTS_SUMMARY = Summary("s3_request_duration_seconds", "Time spent running the test", ["task"])
ALL_TESTS_GAUGE = Gauge("s3_request_last_duration_seconds", "Time spent on the last test", ["task"])
ALL_TESTS_HIST = Histogram("s3_request_duration_seconds_histogram", "Time spent on the last test", ["task"], buckets=BUCKETS)
S3_FAIL = Counter("s3_requests_fails", "Number of fails in this process")
HTTP_REQUESTS = Counter("peer_http_requests", "S3 HTTP requests sent (for the bench's CPU per request)")


def timed(task):
    hist, gauge, summary = ALL_TESTS_HIST.labels(task), ALL_TESTS_GAUGE.labels(task), ALL_TESTS_SUMMARY.labels(task)

    def wrap(fn):
        return hist.time()(gauge.time()(summary.time()(fn)))

    return wrap


class S3Metrics:
    def __init__(self, s3, bucket_name, key_name="the_ruler"):
        self.s3 = s3
        self.bucket = bucket_name
        self.key_name = key_name
        self.data_out = None
        self.data = "".join(chr(random.randint(32, 126)) for _ in range(OBJECT_SIZE))

    @timed("create")
    def create_bucket(self):
        try:
            self.s3.Bucket(self.bucket).create()
        except Exception:
            S3_FAIL.inc()

    @timed("put")
    def put_object(self, key_name=None):
        try:
            self.s3.Bucket(self.bucket).put_object(Key=key_name or self.key_name, Body=self.data)
        except Exception:
            S3_FAIL.inc()

    def put_objects(self):
        for i in range(OBJCOUNT):
            self.put_object(self.key_name + str(i))

    @timed("delete")
    def del_object(self):
        try:
            self.s3.Object(self.bucket, self.key_name).delete()
        except Exception:
            S3_FAIL.inc()

    @timed("delete_many")
    def del_objects(self):
        try:
            for obj in self.s3.Bucket(self.bucket).objects.all():
                obj.delete()
        except Exception:
            S3_FAIL.inc()

    @timed("get")
    def get_object(self):
        self.data_out = None
        try:
            data = BytesIO()
            self.s3.Bucket(self.bucket).download_fileobj(Fileobj=data, Key=self.key_name)
            self.data_out = data.getvalue().decode()
        except Exception:
            S3_FAIL.inc()

    def compare_object(self):
        if self.data != self.data_out:
            S3_FAIL.inc()

    @timed("list_buckets")
    def list_buckets(self):
        try:
            for bucket in self.s3.buckets.all():
                logging.debug("%s %s", bucket.creation_date, bucket.name)
        except Exception:
            S3_FAIL.inc()

    @timed("list_objects")
    def list_objects(self):
        try:
            for obj in self.s3.Bucket(self.bucket).objects.all():
                logging.debug("%s", obj.key)
        except Exception:
            S3_FAIL.inc()

    @timed("remove")
    def remove_bucket(self):
        try:
            self.s3.Bucket(self.bucket).delete()
        except Exception:
            S3_FAIL.inc()

    def run_all_tests(self):
        self.create_bucket()
        self.put_object()
        self.list_buckets()
        self.list_objects()
        self.get_object()
        self.compare_object()
        self.del_object()
        self.put_objects()
        self.del_objects()
        self.remove_bucket()


STOPPING = []


def main():
    logging.basicConfig(level=logging.WARNING)
    # SIGTERM ends the loop after the current cycle, whose last step removes its bucket: the bench
    # leaves nothing behind in the store
    signal.signal(signal.SIGTERM, lambda *_: STOPPING.append(True))
    start_http_server(PORT, addr="127.0.0.1")
    s3 = boto3.resource("s3", endpoint_url=ENDPOINT, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}))
    s3.meta.client.meta.events.register("before-send.s3", lambda **_: HTTP_REQUESTS.inc())
    probes = [S3Metrics(s3, f"{PREFIX}-{os.getpid()}-{i}") for i in range(TARGETS)]
    print(f"PEER_READY {PORT}", flush=True)
    next_at = time.monotonic()
    while True:
        for p in probes:
            p.run_all_tests()
            if STOPPING:
                sys.exit(0)
        next_at += INTERVAL
        # behind schedule: start the next cycle at once, as a missed slot would be skipped anyway
        time.sleep(max(0.0, next_at - time.monotonic()))  # at most one interval: then a SIGTERM is seen
        if STOPPING:
            sys.exit(0)
        if time.monotonic() - next_at > INTERVAL:
            next_at = time.monotonic()


if __name__ == "__main__":
    main()

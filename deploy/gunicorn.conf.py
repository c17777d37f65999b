"""gunicorn settings for Keyward: `gunicorn -c deploy/gunicorn.conf.py project.wsgi`
(deploy/systemd/keyward.service does this). Environment overrides: KEYWARD_BIND, KEYWARD_WORKERS."""

import multiprocessing
import os

# Loopback or a Unix socket only: nginx (deploy/nginx/keyward.conf) is the one public listener.
bind = os.environ.get("KEYWARD_BIND", "127.0.0.1:8000")  # or unix:/run/keyward/gunicorn.sock
workers = int(os.environ.get("KEYWARD_WORKERS", 2 * multiprocessing.cpu_count() + 1))
timeout = 30
# Only the local nginx may set X-Forwarded-Proto/-For (gunicorn's own default, written down).
forwarded_allow_ips = "127.0.0.1,::1"
# Access log to stdout (journald): X-Forwarded-For, request, status, bytes, seconds, request id.
accesslog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(L)ss id=%({x-request-id}o)s'


# Prometheus multiprocess mode (project/metrics.py): with PROMETHEUS_MULTIPROC_DIR set (the systemd unit
# sets it), every worker keeps its metric values in files there and GET /metrics sums them. The files
# of a previous run would be counted again, so gunicorn empties the directory when it starts.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)  # /run/keyward stays 0755 for a Unix socket
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

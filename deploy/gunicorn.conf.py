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

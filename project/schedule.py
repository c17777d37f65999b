"""Periodic jobs: which task runs when. `manage.py run_scheduler` enqueues each one on its cron
schedule and the task worker runs it, so no system cron line is needed.

Add a job with one line: (cron expression in UTC, dotted path of a django.tasks task).
"""

PERIODIC_JOBS = [
    ("*/5 * * * *", "licensing.tasks.release_dead_machines"),
    ("* * * * *", "authtokens.tasks.flush_token_usage"),
    ("* * * * *", "licensing.tasks.flush_validation_counts"),
    ("* * * * *", "webhooks.tasks.webhook_deliveries_retry_due"),
    ("17 * * * *", "webhooks.tasks.webhook_endpoints_disable_failing"),
    ("42 3 * * *", "webhooks.tasks.webhook_logs_prune"),
    ("12 4 * * *", "project.tasks.prune_task_results"),
]

"""Celery tasks of accounts: thin, by value (a message has no row of its own)."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail


@shared_task(
    name="orgs.send_email", time_limit=60, soft_time_limit=50,
    autoretry_for=(OSError,), retry_backoff=10, retry_backoff_max=600, max_retries=8,
)
def send_email(to: str, subject: str, body: str) -> int:
    # An SMTP server down raises OSError (smtplib's errors are OSErrors): retried with backoff.
    return send_mail(subject, body, None, [to], fail_silently=False)

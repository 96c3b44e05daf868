"""Reports: a curated analysis of runs, its published versions, their frozen data, comments."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from apps.runs.models import Project


class ReportVisibility(models.TextChoices):
    DRAFT = "draft"  # its author only
    ORG = "org"  # members of the organisation read; members and admins edit
    PUBLIC = "public"  # anyone with the link reads the published version


def report_key_new() -> str:
    # The report's name in every URL: unguessable, so a public report is found only by its link.
    return secrets.token_urlsafe(12)


class Report(models.Model):
    key = models.CharField(max_length=32, unique=True, default=report_key_new)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    visibility = models.CharField(max_length=16, choices=ReportVisibility.choices, default=ReportVisibility.DRAFT)
    # Search engines see <meta name="robots" content="noindex"> unless the owner asks otherwise.
    allow_indexing = models.BooleanField(default=False)
    # The draft the editors work on (autosaved); readers see `published`.
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    blocks = models.JSONField(default=list, blank=True)  # apps/reports/blocks.py checks their shape
    published = models.ForeignKey(
        "ReportVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["project", "-updated_at"], name="report_project_updated")]

    def __str__(self) -> str:
        return f"{self.project}/reports/{self.key}"


class ReportVersion(models.Model):
    """What readers saw at one publication: the content, and with `frozen` the data too."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    blocks = models.JSONField(default=list)
    # Markdown rendered and sanitised at publication: {block id: html}.
    html = models.JSONField(default=dict)
    frozen = models.BooleanField(default=False)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_unique")]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class PanelSnapshot(models.Model):
    """A frozen panel's data as served (JSON bytes): reads cost one row, runs may be gone."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="snapshots")
    block_id = models.CharField(max_length=64)
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "block_id"], name="snapshot_block_unique")]

    def __str__(self) -> str:
        return f"{self.version} {self.block_id}"


class ReportComment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["report", "created_at"], name="comment_report_created")]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.report}"

"""Benchmarks: a task an organisation defines, and the runs others submit to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.fields import NonFiniteJSONField
from apps.core.slugs import slug_validator
from apps.orgs.models import Organization
from apps.runs.models import Run


class Direction(models.TextChoices):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"


class BenchmarkVisibility(models.TextChoices):
    PUBLIC = "public"
    LIMITED = "limited"  # the owner and the invited organisations only


class Benchmark(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="benchmarks")
    slug = models.CharField(max_length=64, validators=[slug_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)  # Markdown
    rules = models.TextField(blank=True)  # Markdown
    task_url = models.URLField(max_length=500, blank=True)
    dataset_url = models.URLField(max_length=500, blank=True)
    # The primary metric: its label, the run summary key it is read from, its direction.
    metric_name = models.CharField(max_length=200)
    metric_key = models.CharField(max_length=256)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    # Decimal places the pages show scores with (0.8234 with 4); None: six significant digits.
    precision = models.PositiveSmallIntegerField(null=True, blank=True)
    # [{"name": ..., "key": ...}]: shown as columns, required like the primary.
    secondary_metrics = models.JSONField(default=list, blank=True)
    # Config keys shown as columns and offered as filters.
    config_columns = models.JSONField(default=list, blank=True)
    requires_approval = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=16, choices=BenchmarkVisibility.choices, default=BenchmarkVisibility.PUBLIC
    )
    invited: models.ManyToManyField[Organization, BenchmarkInvite] = models.ManyToManyField(
        Organization, through="BenchmarkInvite", related_name="benchmark_invites"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="benchmark_slug_unique_in_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.slug}/{self.slug}"

    @property
    def is_public(self) -> bool:
        return self.visibility == BenchmarkVisibility.PUBLIC

    def rank_key(self, score: float) -> float:
        """What the leaderboard sorts ascending: best first, whatever the direction."""
        return -score if self.direction == Direction.HIGHER else score


class BenchmarkInvite(models.Model):
    """An organisation that may see and submit to a limited benchmark."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="invites")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "organization"], name="one_invite_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} invited to {self.benchmark}"


class SubmissionStatus(models.TextChoices):
    WAITING = "waiting"  # asked for at agent.init: scored when the run finishes
    SCORING = "scoring"  # frozen, queued for the scoring task
    REFUSED = "refused"  # invalid: `reason` says why
    PENDING = "pending"  # scored, waiting for the owner's approval
    ACCEPTED = "accepted"  # on the leaderboard
    REJECTED = "rejected"  # by the owner's admins
    HIDDEN = "hidden"  # taken off the leaderboard by the owner's admins, with a reason
    WITHDRAWN = "withdrawn"  # by the submitter


# A run has at most one of these per benchmark; refused, rejected and
# withdrawn ones do not block submitting it again.
ACTIVE_STATUSES = (
    SubmissionStatus.WAITING,
    SubmissionStatus.SCORING,
    SubmissionStatus.PENDING,
    SubmissionStatus.ACCEPTED,
    SubmissionStatus.HIDDEN,
)


class Submission(models.Model):
    """One run entered in a benchmark.

    What the leaderboard and the shared run view show is copied here when the
    run is submitted (its summary, config and code version), so the entry
    does not change when the run is resumed or edited later, and nothing is
    read from the private project to show it.
    """

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="submissions")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="submissions")
    # The run's organisation, kept here to filter by without a join.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="submissions")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.SCORING)
    reason = models.TextField(blank=True)
    score = models.FloatField(null=True, blank=True)
    # score, or -score when higher is better: the leaderboard sorts on this ascending.
    rank_key = models.FloatField(null=True, blank=True)
    metrics = NonFiniteJSONField(default=dict, blank=True)  # {summary key: value}, the secondary ones too
    # The frozen copy of what is shared: see the class docstring.
    summary = NonFiniteJSONField(default=dict, blank=True)
    config = NonFiniteJSONField(default=dict, blank=True)
    code = models.JSONField(default=dict, blank=True)  # {"commit", "dirty"}
    run_state = models.CharField(max_length=16, blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)  # charts stop here
    # The charts' series are copied (SubmissionSeries) when the entry is frozen;
    # entries frozen before that existed get theirs at their first read.
    series_frozen = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the copy was taken: ties on the score go to the earlier one.
    submitted_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["benchmark", "run"],
                condition=Q(status__in=[s.value for s in ACTIVE_STATUSES]),
                name="one_active_submission_per_run",
            ),
        ]
        indexes = [
            # The leaderboard: one range of this index, read in order.
            models.Index(fields=["benchmark", "status", "rank_key", "submitted_at", "id"], name="submission_rank"),
            models.Index(fields=["benchmark", "organization", "status"], name="submission_org"),
            models.Index(fields=["run", "status"], name="submission_run_status"),
        ]

    def __str__(self) -> str:
        return f"{self.benchmark}#{self.pk} ({self.status})"


class SubmissionSeries(models.Model):
    """One numeric history key of a submitted run as it was when submitted, up
    to `Submission.last_step`: what the shared view charts, whatever the run
    logs after (see runs.selectors.history_summaries_at)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="series")
    key = models.CharField(max_length=256)
    count = models.BigIntegerField()
    summary = models.BinaryField()  # a runs.history.SeriesSummary

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "key"], name="submission_series_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.key}"

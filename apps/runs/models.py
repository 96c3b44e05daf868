"""Projects, runs, their append-only streams, and their files."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.core.fields import NonFiniteJSONField
from apps.core.slugs import slug_validator
from apps.orgs.models import Organization

RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class Visibility(models.TextChoices):
    PRIVATE = "private"
    PUBLIC = "public"


class Project(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    slug = models.CharField(max_length=64, validators=[slug_validator])
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Last time a run of the project was created or wrote to it.
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="project_slug_unique_in_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.slug}/{self.slug}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class RunState(models.TextChoices):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CRASHED = "crashed"


class Stream(models.IntegerChoices):
    HISTORY = 0, "history"
    SYSTEM = 1, "system"
    CONSOLE = 2, "console"


STREAM_BY_NAME = {s.label: s for s in Stream}


class Run(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    # Chosen by the client, so that create, retry and resume are idempotent.
    run_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.RUNNING)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="runs")
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Seconds from creation to the last sign of life (or the finish).
    runtime = models.FloatField(default=0.0)
    exit_code = models.IntegerField(null=True, blank=True)
    tags = NonFiniteJSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    group = models.CharField(max_length=128, blank=True)
    job_type = models.CharField(max_length=64, blank=True)
    config = NonFiniteJSONField(default=dict, blank=True)
    summary = NonFiniteJSONField(default=dict, blank=True)
    # Summary keys the client set itself; logged values no longer overwrite them.
    summary_pinned = models.JSONField(default=list, blank=True)
    system = NonFiniteJSONField(default=dict, blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)
    # Next offset expected on each stream (see docs/protocol.md, Streams).
    history_offset = models.BigIntegerField(default=0)
    system_offset = models.BigIntegerField(default=0)
    console_offset = models.BigIntegerField(default=0)
    # Written by several processes on purpose (docs/distributed.md): their
    # system metrics and console are kept apart, and the primary finishes it.
    shared = models.BooleanField(default=False)
    # The experiment fingerprint's `whole` (hex SHA-256 of code, config, data and
    # environment), set by the app that computes it (apps/artifacts, which keeps its
    # parts); empty when the run has none. Here so that the runs table can group
    # by it and flag duplicates without reaching into that app.
    fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "run_id"], name="run_id_unique_in_project"),
        ]
        indexes = [
            models.Index(fields=["project", "-created_at"], name="run_project_created"),
            models.Index(fields=["state", "heartbeat_at"], name="run_state_heartbeat"),
            models.Index(fields=["project", "fingerprint"], name="run_project_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.run_id}"

    def stream_offset(self, stream: Stream) -> int:
        return int(getattr(self, f"{stream.label}_offset"))


WRITER_ID_PATTERN = r"[A-Za-z0-9_.:@-]{1,64}"


class RunWriter(models.Model):
    """One process appending to a run (docs/protocol.md, Writers).

    Offsets are kept per writer, so two processes logging to one run never
    fill each other's offsets, and neither is ever taken for a retry of the
    other. The run's own offsets (on `Run`) count the rows of all writers.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="writers")
    # Chosen by the agent, once per process (or from the user's label), and
    # kept across retries and restarts of its background process.
    writer_id = models.CharField(max_length=64)
    label = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.BigIntegerField(null=True, blank=True)
    primary = models.BooleanField(default=False)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.RUNNING)
    history_offset = models.BigIntegerField(default=0)
    system_offset = models.BigIntegerField(default=0)
    console_offset = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "writer_id"], name="writer_id_unique_in_run"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.label or self.writer_id}"

    @property
    def name(self) -> str:
        return self.label or self.writer_id

    def stream_offset(self, stream: Stream) -> int:
        return int(getattr(self, f"{stream.label}_offset"))


class HistoryChunk(models.Model):
    """One appended batch of a stream, stored columnar and compressed.

    A row per batch rather than per point keeps storage near 8 bytes a point
    and lets a reader decompress only the keys it asks for.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="chunks")
    stream = models.PositiveSmallIntegerField(choices=Stream.choices)
    # Where the batch sits among the rows of every writer of the run...
    first_offset = models.BigIntegerField()
    # ...and who wrote it, at which offset of its own (for a client that sends
    # no writer, the run's offset): what a retry is checked against.
    writer = models.ForeignKey(RunWriter, null=True, blank=True, on_delete=models.CASCADE, related_name="chunks")
    writer_offset = models.BigIntegerField(default=0)
    row_count = models.IntegerField()
    step_min = models.BigIntegerField()
    step_max = models.BigIntegerField()
    payload = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "stream", "first_offset"], name="chunk_offset_unique"),
            models.UniqueConstraint(
                fields=["writer", "stream", "writer_offset"],
                condition=models.Q(writer__isnull=False),
                name="chunk_writer_offset_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.get_stream_display()}@{self.first_offset}+{self.row_count}"


class HistorySeries(models.Model):
    """Per key of a stream: a fixed-size downsampled summary for charts.

    Updated on every append, so a chart read costs the same at any run length.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="series")
    stream = models.PositiveSmallIntegerField(choices=Stream.choices)
    key = models.CharField(max_length=256)
    count = models.BigIntegerField(default=0)
    # Empty for keys that hold non-numeric values (media, strings).
    summary = models.BinaryField(default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "stream", "key"], name="series_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.get_stream_display()}:{self.key}"


class RunFile(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1024)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=1200)
    content_type = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "path"], name="file_path_unique_in_run"),
        ]

    def __str__(self) -> str:
        return self.path


class Workspace(models.Model):
    """A project's saved chart panels (apps/runs/workspace.py checks their shape)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="workspace")
    # {"panels": [{"id", "key", "x", "smoothing", "log", "size"}], "hidden": [keys]}
    layout = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"workspace of {self.project}"


class ProjectView(models.Model):
    """The runs table layout of a project, shared by all its members.

    One per project, so every member sees the same columns; written by
    members and admins only.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="view")
    # {"columns": [{"source": "config"|"summary"|"run", "path": [...]}, ...]}
    layout = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"view of {self.project}"


class MediaKind(models.TextChoices):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TABLE = "table"
    PLOTLY = "plotly"
    HTML = "html"
    CHART = "chart"  # agent.plot.*: a table file, drawn as the reference's `chart` says
    OBJECT3D = "object3d"  # a point cloud (JSON), or a 3-D model file offered for download
    MOLECULE = "molecule"  # a structure file (pdb, sdf, ...) offered for download


class MediaStatus(models.TextChoices):
    PENDING = "pending"  # stored, not yet validated by a worker
    READY = "ready"  # validated; thumbnail or poster made where the kind has one
    FAILED = "failed"  # refused: `error` says why; the original upload is kept


class Media(models.Model):
    """One logged media item: a file of the run, referenced from a history row.

    The history row holds `{"_type": kind, "path": ...}`; this row is what the
    workers learned about the file (real type, dimensions, thumbnail) and
    what the web panels list. A gallery is several rows of one key and step,
    ordered by `index`.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="media")
    key = models.CharField(max_length=256)
    step = models.BigIntegerField()
    index = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=MediaKind.choices)
    path = models.CharField(max_length=1024)  # the RunFile's path
    caption = models.TextField(blank=True)
    # Kind-specific facts the agent sent: boxes, masks, fps, sample rate, columns...
    meta = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=MediaStatus.choices, default=MediaStatus.PENDING)
    error = models.TextField(blank=True)
    content_type = models.CharField(max_length=128, blank=True)  # from the bytes, not the name
    size = models.BigIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds, for video and audio
    # Storage name of the thumbnail (images) or poster frame (videos); "" when none.
    thumbnail = models.CharField(max_length=1200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The content (its RunFile's sha256) the findings above are about: a task
    # that finds them current does nothing, so a task run twice is harmless.
    source_sha256 = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # tasks that started on it
    queued_at = models.DateTimeField(null=True, blank=True)  # last queued; a stale one is queued again
    # Set on an image cell of a table (its key and step are the table's, `meta`
    # has its row and col): processed like any image, never a key of its own.
    table = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="cells")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "path"], name="media_path_unique_in_run"),
        ]
        indexes = [models.Index(fields=["run", "key", "step", "index"], name="media_run_key_step")]

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"


class AlertLevel(models.TextChoices):
    """W&B's alert levels (`wandb.AlertLevel`)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


ALERT_TITLE_MAX = 256
ALERT_TEXT_MAX = 64 * 1024  # bytes of UTF-8
ALERT_ID_PATTERN = r"[A-Za-z0-9_.:@-]{1,64}"


class RunAlert(models.Model):
    """An alert a run sent (W&B's `run.alert`), listed on its page.

    The agent names each alert (`alert_id`): a retried upload, or a repeat the
    agent merged within `wait_duration`, updates this row rather than adding
    one; `count` is how many times it was raised. The alerts app delivers
    them (runs announces `alert_recorded`; it never imports alerts).
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="alerts")
    alert_id = models.CharField(max_length=64)
    title = models.CharField(max_length=ALERT_TITLE_MAX)
    text = models.TextField(blank=True)
    level = models.CharField(max_length=8, choices=AlertLevel.choices, default=AlertLevel.INFO)
    count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "alert_id"], name="alert_id_unique_in_run"),
        ]
        indexes = [models.Index(fields=["run", "-created_at"], name="alert_run_newest")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.level}:{self.title}"

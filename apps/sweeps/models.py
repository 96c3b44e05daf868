"""Sweeps, the runs they hand out, and the agents that run them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.runs.models import Project, Run

SWEEP_ID_PATTERN = r"^[a-z0-9]{1,64}$"


class SweepState(models.TextChoices):
    # W&B's states: a new sweep is pending until its first agent asks.
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


ENDED = (SweepState.FINISHED, SweepState.CANCELLED)


class Sweep(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sweeps")
    sweep_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    # The sweep file as given (YAML read into JSON): apps/sweeps/config.py.
    config = models.JSONField(default=dict)
    method = models.CharField(max_length=16)
    metric_name = models.CharField(max_length=256, blank=True)
    metric_goal = models.CharField(max_length=16, default="minimize")
    state = models.CharField(max_length=16, choices=SweepState.choices, default=SweepState.PENDING)
    run_cap = models.IntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The best run so far, by the metric (for lists and the page's header).
    best_run_id = models.CharField(max_length=64, blank=True)
    best_value = models.FloatField(null=True, blank=True)
    # Parameter importance and correlation, recomputed by a task (apps/sweeps/importance.py).
    importance = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "sweep_id"], name="sweep_id_unique_in_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "-created_at"], name="sweep_project_created")]

    def __str__(self) -> str:
        return f"{self.project}/{self.sweep_id}"


class TrialState(models.TextChoices):
    ASSIGNED = "assigned"  # handed to an agent; its run has not started yet
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CRASHED = "crashed"
    STOPPED = "stopped"  # stopped early (hyperband, or by hand)


ACTIVE = (TrialState.ASSIGNED, TrialState.RUNNING)


class SweepAgent(models.Model):
    """A `cairn agent` process: it asks for runs and heartbeats."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="agents")
    agent_id = models.CharField(max_length=64)
    host = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sweep", "agent_id"], name="sweep_agent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sweep}:{self.agent_id}"


class SweepRun(models.Model):
    """One suggestion of the sweep: the run id and parameters handed to an agent."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="trials")
    run_id = models.CharField(max_length=64)
    # Set once the agent's run exists (it announces its sweep on create).
    linked_run = models.OneToOneField(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="sweep_trial"
    )
    agent = models.ForeignKey(
        SweepAgent, null=True, blank=True, on_delete=models.SET_NULL, related_name="trials"
    )
    # What the program gets (nested parameters nested), and the searched base values by name.
    params = models.JSONField(default=dict)
    raw = models.JSONField(default=dict)
    grid_index = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=TrialState.choices, default=TrialState.ASSIGNED)
    # The metric when the run ended (its summary), for the search and the charts.
    metric = models.FloatField(null=True, blank=True)
    # Hyperband: the run's best metric up to each bracket it reached ({"3": 0.41, "9": 0.32}).
    bands = models.JSONField(default=dict, blank=True)
    stop_requested = models.BooleanField(default=False)
    stop_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sweep", "run_id"], name="sweep_run_unique"),
        ]
        indexes = [
            models.Index(fields=["sweep", "state"], name="sweep_trial_state"),
            models.Index(fields=["run_id"], name="sweep_trial_run_id"),
        ]

    def __str__(self) -> str:
        return f"{self.sweep}:{self.run_id}"

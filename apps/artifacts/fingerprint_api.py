"""The experiment fingerprint's API (docs/artifacts.md): thin views over apps/artifacts/fingerprints.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.artifacts import fingerprints
from apps.artifacts.models import RunFingerprint
from apps.core.errors import BadInput
from apps.core.params import body_object
from apps.core.schema import path_param, text_query
from apps.runs.api import ProjectScopedApi, run_id_check
from apps.runs.models import Run
from apps.runs.schemas import PROJECT_PATH, RUN_PATH
from apps.runs.serializers import absolute_url

BASE = path_param("base", "The hash of the code, config and env parts (agent/_fingerprint.py).", "^[0-9a-f]{64}$")
OTHER = text_query("other", "The id of a run of the same project.", required=True, max_length=64,
                   pattern="^[A-Za-z0-9_-]{1,64}$")


class FingerprintInSerializer(serializers.Serializer):
    code = serializers.RegexField("^[0-9a-f]{64}$")
    config = serializers.RegexField("^[0-9a-f]{64}$")
    env = serializers.RegexField("^[0-9a-f]{64}$")
    details = serializers.DictField(required=False, help_text="What each part is made of (shown in comparisons).")


class FingerprintDuplicateSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    state = serializers.CharField()


class FingerprintSerializer(serializers.Serializer):
    code = serializers.CharField()
    config = serializers.CharField()
    data = serializers.CharField(help_text="From the versions the run used.")  # type: ignore[assignment]
    env = serializers.CharField()
    base = serializers.CharField(help_text="code, config and env together.")
    whole = serializers.CharField(help_text="All four parts together.")
    details = serializers.DictField()
    updated_at = serializers.DateTimeField()
    duplicates = FingerprintDuplicateSerializer(many=True, required=False, help_text="Other runs of the project "
                                                "with the same fingerprint (in the GET only).")


class FingerprintMatchRunSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    url = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.DictField()


class FingerprintMatchSerializer(serializers.Serializer):
    match = FingerprintMatchRunSerializer(allow_null=True)


class FingerprintCompareSerializer(serializers.Serializer):
    same = serializers.BooleanField()
    parts = serializers.DictField(help_text="`code`, `config`, `data`, `env`: each `same` and what differs.")


class RunFingerprintApi(ProjectScopedApi):
    @extend_schema(operation_id="run_fingerprint", summary="A run's fingerprint", parameters=RUN_PATH,
                   responses=FingerprintSerializer)
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        fp = _fingerprint_of(self.get_run(run_id_check(run_id)))
        duplicates = [
            {"run_id": r.run_id, "name": r.name, "state": r.state} for r in fingerprints.fingerprint_duplicates(fp=fp)
        ]
        return Response(dict(fingerprints.fingerprint_payload(fp), duplicates=duplicates))

    @extend_schema(
        operation_id="run_fingerprint_store", summary="Store a run's fingerprint (the agent, at init)",
        description="Writers of the project. The data part is computed from the run's inputs.",
        parameters=RUN_PATH, request=FingerprintInSerializer, responses=FingerprintSerializer,
    )
    def put(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id_check(run_id))
        fp = fingerprints.fingerprint_store(run=run, data=body_object(request))
        return Response(fingerprints.fingerprint_payload(fp))


class RunFingerprintCompareApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_fingerprint_compare", summary="Which fingerprint parts differ from another run's",
        parameters=[*RUN_PATH, OTHER], responses=FingerprintCompareSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        other = request.query_params.get("other")
        if not other:
            raise BadInput("The id of the run to compare with.", "other")
        a = _fingerprint_of(self.get_run(run_id_check(run_id)))
        b = _fingerprint_of(self.get_run(run_id_check(other)))
        return Response(fingerprints.fingerprint_compare(a=a, b=b))


class FingerprintMatchApi(ProjectScopedApi):
    @extend_schema(
        operation_id="fingerprint_match", summary="A finished run with this fingerprint (skip_if_done)",
        description="The newest finished run of the project with the same code, config and env whose inputs "
        "are still their artifacts' `latest`; `match` is null when there is none.",
        parameters=[*PROJECT_PATH, BASE], responses=FingerprintMatchSerializer,
    )
    def get(self, request: Request, org: str, project: str, base: str) -> Response:
        run = fingerprints.fingerprint_match(project=self.project, base=fingerprints.hex_check(base, "base"))
        if run is None:
            return Response({"match": None})
        path = f"/{run.project.organization.slug}/{run.project.slug}/runs/{run.run_id}"
        return Response({"match": {
            "run_id": run.run_id, "name": run.name, "url": absolute_url(request, path),
            "finished_at": run.finished_at, "summary": run.summary,
        }})


def _fingerprint_of(run: Run) -> RunFingerprint:
    fp = RunFingerprint.objects.filter(run=run).select_related("run").first()
    if fp is None:
        from django.http import Http404

        raise Http404("This run has no fingerprint.")
    return fp

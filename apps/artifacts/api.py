"""The artifacts API: thin views over services and selectors (docs/artifacts.md)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.artifacts import registry_selectors, resumable, s3direct, selectors, services, uploads
from apps.artifacts.diff import version_diff
from apps.artifacts.models import ArtifactVersion
from apps.artifacts.schemas import (
    BASE,
    DEPTH,
    NAME,
    OFFSET,
    REF,
    SHA256,
    TYPE_FILTER,
    ArtifactBatchSerializer,
    ArtifactBlobSerializer,
    ArtifactCollectionDetailSerializer,
    ArtifactCollectionListSerializer,
    ArtifactDiffSerializer,
    ArtifactDigestsSerializer,
    ArtifactLineageSerializer,
    ArtifactMissingSerializer,
    ArtifactUploadOpenSerializer,
    ArtifactUploadSerializer,
    ArtifactUseSerializer,
    ArtifactVersionCommitSerializer,
    ArtifactVersionDetailSerializer,
    ArtifactVersionSerializer,
    RunArtifactsSerializer,
)
from apps.artifacts.serializers import (
    collection_payload,
    diff_payload,
    entry_payload,
    registry_node,
    run_ref,
    version_payload,
)
from apps.core.access import Access
from apps.core.errors import BadInput
from apps.core.inflate import body_inflated
from apps.core.params import body_object, int_param
from apps.core.schema import errors
from apps.core.storage import stored_file_response
from apps.runs.api import ProjectScopedApi, run_id_check
from apps.runs.models import Project, Run
from apps.runs.permissions import project_resolve
from apps.runs.schemas import BINARY, PROJECT_PATH, REDIRECT, RUN_PATH

_ARTIFACT = [*PROJECT_PATH, NAME]
_VERSION_PATH = [*_ARTIFACT, REF]


class ArtifactListApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_list", summary="A project's artifacts", parameters=[*PROJECT_PATH, TYPE_FILTER],
        responses=ArtifactCollectionListSerializer,
    )
    def get(self, request: Request, org: str, project: str) -> Response:
        type_ = request.query_params.get("type")
        found = selectors.collection_list(project=self.project, type_=None if type_ is None else services.type_check(type_))
        return Response({"results": [collection_payload(c) for c in found]})

    @extend_schema(
        operation_id="artifact_version_commit", summary="Commit an artifact version",
        description="Writers of the project. The manifest's blobs must be uploaded first (409 lists the missing "
        "ones). The same manifest as an existing version gives that version back (200), else 201 with the new "
        "one; `latest` moves to a new version, the given aliases to this one.",
        parameters=PROJECT_PATH, request=ArtifactVersionCommitSerializer,
        responses={200: ArtifactVersionSerializer, 201: ArtifactVersionSerializer, **errors(409)},
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        data = body_object(request)
        run = None
        if data.get("run_id") is not None:
            run = self.get_run(run_id_check(str(data["run_id"])))
        version, created = services.version_commit(project=self.project, run=run, data=data)
        return Response(version_payload(version), status=201 if created else 200)


class ArtifactDetailApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_get", summary="An artifact and its versions", description="Newest first.",
        parameters=_ARTIFACT, responses=ArtifactCollectionDetailSerializer,
    )
    def get(self, request: Request, org: str, project: str, name: str) -> Response:
        collection = selectors.collection_get(project=self.project, name=name)
        versions = selectors.version_list(collection=collection)
        return Response({**collection_payload(collection), "version_count": len(versions),
                         "versions": [version_payload(v) for v in versions]})


def _lineage(request: Request, project: Project, *, version: ArtifactVersion | None = None, run: Run | None = None) -> dict[str, Any]:
    """The lineage walked from a version or a run, as the API gives it."""
    depth = int_param(request, "depth", 3, 1, selectors.MAX_LINEAGE_DEPTH) or 3
    known: dict[int, bool] = {project.pk: True}

    def visible(project_id: int) -> bool:
        if project_id not in known:
            known[project_id] = bool(selectors.readable_project_ids(user=request.user, project_ids={project_id}))
        return known[project_id]

    graph = selectors.lineage(version=version, run=run, depth=depth, visible=visible)
    run_ids = {pk: "run:" + run_ref(r)["path"] for pk, r in graph.runs.items()}
    version_ids = {pk: "artifact:" + version_payload(v)["qualified_name"] for pk, v in graph.versions.items()}
    nodes = [{"id": run_ids[pk], "kind": "run", "run": run_ref(r)} for pk, r in graph.runs.items()]
    nodes += [{"id": version_ids[pk], "kind": "artifact", "artifact": version_payload(v)} for pk, v in graph.versions.items()]
    edges = [{"source": run_ids[r], "target": version_ids[v], "kind": "logged"} for r, v in sorted(graph.logged)]
    edges += [{"source": version_ids[v], "target": run_ids[r], "kind": "used"} for r, v in sorted(graph.used)]
    for link in registry_selectors.links_of_versions(version_ids=set(graph.versions), user=request.user):
        node = registry_node(link)
        nodes.append(node)
        edges.append({"source": version_ids[link.artifact_version_id], "target": node["id"], "kind": "linked"})
    root = version_ids[version.pk] if version is not None else run_ids[run.pk]  # type: ignore[union-attr]
    return {"root": root, "nodes": nodes, "edges": edges, "truncated": graph.truncated}


class VersionScopedApi(ProjectScopedApi):
    def get_version(self, name: str, ref: str) -> ArtifactVersion:
        return selectors.version_get(project=self.project, name=name, ref=ref)


class VersionDetailApi(VersionScopedApi):
    @extend_schema(
        operation_id="artifact_version_get", summary="An artifact version",
        description="With its manifest, aliases, the run that logged it and the runs that used it.",
        parameters=_VERSION_PATH, responses=ArtifactVersionDetailSerializer,
    )
    def get(self, request: Request, org: str, project: str, name: str, ref: str) -> Response:
        version = self.get_version(name, ref)
        return Response({
            **version_payload(version),
            "manifest": [entry_payload(e) for e in selectors.entries_of(version)],
            "used_by": [run_ref(r) for r in selectors.consumers_of(version)],
        })


class VersionLineageApi(VersionScopedApi):
    @extend_schema(
        operation_id="artifact_version_lineage", summary="An artifact version's lineage",
        description="Runs and versions reachable both ways (run -logged-> artifact -used-> run ...), at most "
        "`depth` edges away; nodes of projects the caller cannot read are left out.",
        parameters=[*_VERSION_PATH, DEPTH], responses=ArtifactLineageSerializer,
    )
    def get(self, request: Request, org: str, project: str, name: str, ref: str) -> Response:
        version = self.get_version(name, ref)
        return Response(_lineage(request, self.project, version=version))


class VersionDiffApi(VersionScopedApi):
    @extend_schema(
        operation_id="artifact_version_diff", summary="What changed between two versions of an artifact",
        description="From `base` to this version: files added, removed and changed (the digest differs), the "
        "size change, and top-level metadata keys added, removed and changed. A Cairn addition: W&B has no diff.",
        parameters=[*_VERSION_PATH, BASE], responses=ArtifactDiffSerializer,
    )
    def get(self, request: Request, org: str, project: str, name: str, ref: str) -> Response:
        target = self.get_version(name, ref)
        base_ref = request.query_params.get("base")
        if not base_ref:
            raise BadInput("Which version to compare against, e.g. base=v0.", "base")
        base = self.get_version(name, base_ref)
        return Response(diff_payload(version_diff(base=base, target=target)))


class BlobMissingApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_blobs_missing", summary="Which files the server lacks",
        description="Writers of the project. Of these SHA-256 digests, the ones the organisation does not hold: "
        "upload only those.",
        parameters=PROJECT_PATH, request=ArtifactDigestsSerializer, responses=ArtifactMissingSerializer,
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        data = body_object(request)
        return Response({"missing": services.blobs_missing(org=self.project.organization, digests=data.get("digests"))})


class BlobBatchApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_blobs_batch", summary="Upload many small artifact files at once",
        description="Writers of the project. The body is, for each file, a line `<hex sha256> <size>\\n` then its "
        f"bytes (files up to {uploads.MAX_BATCH_BLOB} bytes; at most CAIRN_MAX_BODY_SIZE in all, on Content-Length). "
        "Each file is checked against its SHA-256 before it is written: one that differs is never stored, and the "
        "request is 400 naming the first one found. Files the organisation holds already are skipped, not stored again.",
        parameters=PROJECT_PATH, request=BINARY, responses=ArtifactBatchSerializer,
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        length = None if body_inflated(request._request) else request.META.get("CONTENT_LENGTH")
        summary = uploads.blobs_store_batch(
            org=self.project.organization,
            body=cast(IO[bytes], request._request),  # the raw stream, read file by file
            declared_size=int(length) if length and length.isdigit() else None,
        )
        return Response(summary)


class BlobUploadOpenApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_blob_upload_open", summary="Open or resume a large file's upload",
        description="Writers of the project. Says how many bytes of this file the server holds (`offset`): send "
        "the rest with PUT blobs/uploads/<sha256>?offset=N. `done` when the organisation holds the file already.",
        parameters=PROJECT_PATH, request=ArtifactUploadOpenSerializer,
        responses={200: ArtifactUploadSerializer, **errors(409)},
    )
    def post(self, request: Request, org: str, project: str) -> Response:
        data = body_object(request)
        return Response(resumable.upload_open(org=self.project.organization, sha256=data.get("sha256"),
                                              size=data.get("size"), direct=data.get("direct", False)))


class BlobUploadCompleteApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_blob_upload_complete", summary="Complete a large file sent straight to S3",
        description="Writers of the project, after PUTting every part to its `direct` URL. The server completes "
        "the S3 multipart upload from the parts S3 holds and verifies the file's SHA-256 (400, and the file "
        "deleted, on a mismatch; 400 naming the parts not there yet). 404 when no direct upload is open.",
        parameters=[*PROJECT_PATH, SHA256], request=None, responses={200: ArtifactUploadSerializer},
    )
    def post(self, request: Request, org: str, project: str, sha256: str) -> Response:
        return Response(s3direct.direct_complete(org=self.project.organization, sha256=sha256))


class BlobUploadPartApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_blob_upload_part", summary="Send a part of a large file",
        description="Writers of the project. The body is appended at `offset`, which must be the server's (409 "
        "with `offset` otherwise); bytes are kept as they arrive, so a dropped connection resumes from the new "
        "offset. The last part verifies the whole file against its SHA-256 (400 and the upload discarded on a "
        "mismatch) and stores it.",
        parameters=[*PROJECT_PATH, SHA256, OFFSET], request=BINARY, responses={**{200: ArtifactUploadSerializer}, **errors(409)},
    )
    def put(self, request: Request, org: str, project: str, sha256: str) -> Response:
        length = None if body_inflated(request._request) else request.META.get("CONTENT_LENGTH")
        offset = int_param(request, "offset", 0, 0, settings.CAIRN_MAX_FILE_SIZE) or 0
        return Response(resumable.upload_part(
            org=self.project.organization, sha256=sha256, offset=offset,
            body=cast(IO[bytes], request._request),
            declared_size=int(length) if length and length.isdigit() else None,
        ))


class BlobApi(ProjectScopedApi):
    @extend_schema(
        operation_id="artifact_blob_download", summary="Download an artifact file by its digest",
        description="For a digest that a version of this project holds. On object storage a 302 to a signed URL.",
        parameters=[*PROJECT_PATH, SHA256],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, "The file."), 302: REDIRECT},
    )
    def get(self, request: Request, org: str, project: str, sha256: str) -> Any:
        entry = selectors.blob_in_project(project=self.project, sha256=services.sha256_check(sha256, "sha256"))
        assert entry.blob is not None
        return stored_file_response(
            entry.blob.storage_name, content_type="application/octet-stream",
            filename=entry.path.rsplit("/", 1)[-1], csp="sandbox; default-src 'none'",
        )

    @extend_schema(
        operation_id="artifact_blob_upload", summary="Upload an artifact file",
        description="Writers of the project. The raw bytes are the body, streamed to storage and checked against "
        "the SHA-256 in the URL (a mismatch is 400, nothing kept); over CAIRN_MAX_FILE_SIZE is 413. A file the "
        "organisation holds already is 200, not stored again.",
        parameters=[*PROJECT_PATH, SHA256], request=BINARY, responses={200: ArtifactBlobSerializer, 201: ArtifactBlobSerializer},
    )
    def put(self, request: Request, org: str, project: str, sha256: str) -> Response:
        length = None if body_inflated(request._request) else request.META.get("CONTENT_LENGTH")
        blob, created = services.blob_store(
            org=self.project.organization,
            sha256=sha256,
            body=cast(IO[bytes], request._request),  # the raw stream: never parsed, never in memory
            declared_size=int(length) if length and length.isdigit() else None,
        )
        return Response({"sha256": blob.sha256, "size": blob.size, "created": created}, status=201 if created else 200)


class RunArtifactsApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_artifacts", summary="A run's artifacts",
        description="The versions it used (`inputs`) and the ones it logged (`outputs`).",
        parameters=RUN_PATH, responses=RunArtifactsSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id_check(run_id))
        return Response({
            "inputs": [version_payload(v) for v in selectors.run_inputs(run=run)],
            "outputs": [version_payload(v) for v in selectors.run_outputs(run=run)],
        })


class RunLineageApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_artifact_lineage", summary="A run's lineage",
        description="Versions and runs reachable from the run both ways (artifact -used-> run -logged-> artifact "
        "...), at most `depth` edges away; nodes of projects the caller cannot read are left out.",
        parameters=[*RUN_PATH, DEPTH], responses=ArtifactLineageSerializer,
    )
    def get(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id_check(run_id))
        return Response(_lineage(request, self.project, run=run))


class RunArtifactUseApi(ProjectScopedApi):
    @extend_schema(
        operation_id="run_artifact_use", summary="Record that a run used an artifact version",
        description="Writers of the run's project; the artifact may be in any project the caller can read.",
        parameters=RUN_PATH, request=ArtifactUseSerializer, responses={200: ArtifactVersionSerializer},
    )
    def post(self, request: Request, org: str, project: str, run_id: str) -> Response:
        run = self.get_run(run_id_check(run_id))
        a_org, a_project, name, ref = selectors.qualified_parse(body_object(request).get("artifact"))
        source, _ = project_resolve(user=request.user, org_slug=a_org, project_slug=a_project, need=Access.READ)
        version = selectors.version_get(project=source, name=name, ref=ref)
        services.use_record(run=run, version=version)
        return Response(version_payload(version))



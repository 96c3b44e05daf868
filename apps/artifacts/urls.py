from django.urls import URLPattern, path

from apps.artifacts import api

_p = "projects/<str:org>/<str:project>"
_a = f"{_p}/artifacts"

urlpatterns: list[URLPattern] = [
    path(f"{_a}/", api.ArtifactListApi.as_view(), name="artifact-list"),
    path(f"{_a}/blobs/missing", api.BlobMissingApi.as_view(), name="artifact-blobs-missing"),
    path(f"{_a}/blobs/uploads", api.BlobUploadOpenApi.as_view(), name="artifact-blob-uploads"),
    path(f"{_a}/blobs/uploads/<str:sha256>", api.BlobUploadPartApi.as_view(), name="artifact-blob-upload-part"),
    path(f"{_a}/blobs/batch", api.BlobBatchApi.as_view(), name="artifact-blobs-batch"),
    path(f"{_a}/blobs/<str:sha256>", api.BlobApi.as_view(), name="artifact-blob"),
    path(f"{_a}/<str:name>", api.ArtifactDetailApi.as_view(), name="artifact-detail"),
    path(f"{_a}/<str:name>/<str:ref>", api.VersionDetailApi.as_view(), name="artifact-version"),
    path(f"{_a}/<str:name>/<str:ref>/lineage", api.VersionLineageApi.as_view(), name="artifact-version-lineage"),
    path(f"{_p}/runs/<str:run_id>/artifacts", api.RunArtifactsApi.as_view(), name="run-artifacts"),
    path(f"{_p}/runs/<str:run_id>/artifacts/used", api.RunArtifactUseApi.as_view(), name="run-artifact-use"),
]

from django.urls import URLPattern, path

from apps.artifacts import api, fingerprint_api, registry_api

_p = "projects/<str:org>/<str:project>"
_a = f"{_p}/artifacts"
_r = "orgs/<str:org>/registry"

urlpatterns: list[URLPattern] = [
    path(f"{_a}/", api.ArtifactListApi.as_view(), name="artifact-list"),
    path(f"{_a}/blobs/missing", api.BlobMissingApi.as_view(), name="artifact-blobs-missing"),
    path(f"{_a}/blobs/uploads", api.BlobUploadOpenApi.as_view(), name="artifact-blob-uploads"),
    path(f"{_a}/blobs/uploads/<str:sha256>", api.BlobUploadPartApi.as_view(), name="artifact-blob-upload-part"),
    path(f"{_a}/blobs/uploads/<str:sha256>/complete", api.BlobUploadCompleteApi.as_view(),
         name="artifact-blob-upload-complete"),
    path(f"{_a}/blobs/batch", api.BlobBatchApi.as_view(), name="artifact-blobs-batch"),
    path(f"{_a}/blobs/<str:sha256>", api.BlobApi.as_view(), name="artifact-blob"),
    path(f"{_a}/<str:name>", api.ArtifactDetailApi.as_view(), name="artifact-detail"),
    path(f"{_a}/<str:name>/<str:ref>", api.VersionDetailApi.as_view(), name="artifact-version"),
    path(f"{_a}/<str:name>/<str:ref>/lineage", api.VersionLineageApi.as_view(), name="artifact-version-lineage"),
    path(f"{_a}/<str:name>/<str:ref>/diff", api.VersionDiffApi.as_view(), name="artifact-version-diff"),
    path(f"{_p}/runs/<str:run_id>/artifacts", api.RunArtifactsApi.as_view(), name="run-artifacts"),
    path(f"{_p}/runs/<str:run_id>/artifacts/lineage", api.RunLineageApi.as_view(), name="run-artifact-lineage"),
    path(f"{_p}/runs/<str:run_id>/artifacts/used", api.RunArtifactUseApi.as_view(), name="run-artifact-use"),
    path(f"{_r}/", registry_api.RegistryListApi.as_view(), name="registry-list"),
    path(f"{_r}/<str:name>", registry_api.RegisteredModelApi.as_view(), name="registered-model"),
    path(f"{_r}/<str:name>/aliases/<str:alias>", registry_api.RegistryAliasApi.as_view(), name="registry-alias"),
    path(f"{_r}/<str:name>/<str:ref>", registry_api.RegistryVersionApi.as_view(), name="registry-version"),
]

# The experiment fingerprint (apps/artifacts/fingerprints.py).
urlpatterns += [
    path(f"{_p}/fingerprints/<str:base>", fingerprint_api.FingerprintMatchApi.as_view(), name="fingerprint-match"),
    path(f"{_p}/runs/<str:run_id>/fingerprint", fingerprint_api.RunFingerprintApi.as_view(), name="run-fingerprint"),
    path(
        f"{_p}/runs/<str:run_id>/fingerprint/compare",
        fingerprint_api.RunFingerprintCompareApi.as_view(),
        name="run-fingerprint-compare",
    ),
]

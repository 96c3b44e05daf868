"""Who may see a benchmark, moderate it, and see or withdraw a submission.

A benchmark is seen by everyone when public, else only by members of its
organisation and of the invited ones; anyone else gets 404, as for a private
project. Only the owner's admins moderate. A submission off the leaderboard
(waiting, refused, pending, hidden...) is seen only by the owner's admins and
by the submitting organisation.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404

from apps.benchmarks.models import Benchmark, BenchmarkInvite, Submission, SubmissionStatus
from apps.core.access import Access, User, access_require
from apps.orgs.models import Membership, Role
from apps.orgs.permissions import org_access


def benchmark_resolve(*, user: User, owner: str, slug: str, need: Access = Access.READ) -> tuple[Benchmark, Access]:
    """The benchmark and the caller's access to it, in one query.

    READ: may see it (and submit runs of their organisations' projects);
    ADMIN: an admin of the owner, who moderates and edits.
    """
    benchmarks = Benchmark.objects.select_related("organization").filter(
        organization__slug=owner.lower(), slug=slug.lower()
    )
    if user.is_authenticated:
        caller_role = Membership.objects.filter(organization=OuterRef("organization"), user_id=user.pk).values("role")
        invited = BenchmarkInvite.objects.filter(
            benchmark=OuterRef("pk"), organization__memberships__user_id=user.pk
        )
        benchmarks = benchmarks.annotate(caller_role=Subquery(caller_role[:1]), caller_invited=Exists(invited))
    benchmark = benchmarks.first()
    if benchmark is None:
        raise Http404
    role = getattr(benchmark, "caller_role", None)
    if role == Role.ADMIN:
        have = Access.ADMIN
    elif role or benchmark.is_public or getattr(benchmark, "caller_invited", False):
        have = Access.READ
    else:
        have = Access.NONE
    access_require(user=user, have=have, need=need)
    return benchmark, have


def org_may_submit(*, benchmark: Benchmark, org_id: int) -> bool:
    """Whether runs of this organisation may enter the benchmark."""
    if benchmark.is_public or org_id == benchmark.organization_id:
        return True
    return BenchmarkInvite.objects.filter(benchmark=benchmark, organization_id=org_id).exists()


def submission_visible(*, user: User, submission: Submission, benchmark_access: Access) -> bool:
    if benchmark_access == Access.NONE:
        return False
    if submission.status == SubmissionStatus.ACCEPTED or benchmark_access >= Access.ADMIN:
        return True
    return org_access(user=user, org=submission.organization) >= Access.READ


def submission_require_withdraw(*, user: User, submission: Submission) -> None:
    """Withdrawing is for the submitting organisation's members (not its viewers).

    Called once the caller has seen the submission: others get 403 (401 when
    anonymous), not 404.
    """
    have = max(org_access(user=user, org=submission.organization), Access.READ)
    access_require(user=user, have=have, need=Access.WRITE)

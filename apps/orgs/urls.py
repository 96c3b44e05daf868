from django.urls import path

from apps.orgs import api

urlpatterns = [
    path("viewer", api.ViewerApi.as_view(), name="viewer"),
    path("keys", api.ApiKeyListApi.as_view(), name="key-list"),
    path("keys/<int:key_id>", api.ApiKeyDetailApi.as_view(), name="key-detail"),
    path("orgs", api.OrgListApi.as_view(), name="org-list"),
    path("orgs/<str:org>/members", api.MemberListApi.as_view(), name="member-list"),
    path("orgs/<str:org>/members/<str:username>", api.MemberDetailApi.as_view(), name="member-detail"),
    path("orgs/<str:org>/invitations", api.OrgInvitationListApi.as_view(), name="org-invitation-list"),
    path("orgs/<str:org>/invitations/<int:invitation_id>", api.OrgInvitationDetailApi.as_view(), name="org-invitation-detail"),
    path("invitations", api.InvitationListApi.as_view(), name="invitation-list"),
    path("invitations/<int:invitation_id>/accept", api.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("invitations/<int:invitation_id>/decline", api.InvitationDeclineApi.as_view(), name="invitation-decline"),
]

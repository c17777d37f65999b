"""Query-string filters for the accounts list endpoints.

They narrow a queryset that a selector has already scoped to the workspace; a
bad value (an unknown role or status) is a 400 naming the parameter.
"""

import django_filters
from django.db.models import Q

from accounts.models import Invitation, InvitationStatus, Membership, Role


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    search = django_filters.CharFilter(
        method="filter_search", help_text="Part of the e-mail address or name."
    )

    class Meta:
        model = Membership
        fields = ["role", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(user__email__icontains=value) | Q(user__full_name__icontains=value))


class InvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices)
    search = django_filters.CharFilter(
        field_name="email", lookup_expr="icontains", help_text="Part of the e-mail."
    )

    class Meta:
        model = Invitation
        fields = ["status", "search"]

"""The three roles of SPEC section 2, as Django groups, and the permissions each one gets."""

from django.contrib.auth.models import Group, Permission

ADMIN = "Admin"
MODERATOR = "Moderator"
USER = "User"

# Admin gets every permission. The others get exactly these ("app_label.codename"); entries
# whose model does not exist (yet) are skipped, so the command is safe at any migration state.
MODERATOR_PERMISSIONS = (
    "feedback.view_feedback",
    "feedback.change_feedback",
    "alerts.view_alert",
    "alerts.change_alert",
    "alerts.acknowledge_alert",
    "alerts.view_alerttransition",
    # Incidents: Moderators run them and post (public) updates; Admins configure status pages.
    "incidents.view_incident",
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.view_incidentupdate",
    "incidents.add_incidentupdate",
    "incidents.view_actionitem",
    "incidents.add_actionitem",
    "incidents.change_actionitem",
)
USER_PERMISSIONS = ("feedback.add_feedback",)


def has_role(user, *roles: str) -> bool:
    """True when the user is a superuser or in one of the named groups."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return bool(cached & set(roles))


def is_admin(user) -> bool:
    return has_role(user, ADMIN)


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    perms = Permission.objects.select_related("content_type")
    return [p for p in perms if (p.content_type.app_label, p.codename) in wanted]


def setup_roles() -> dict[str, int]:
    """Create or update the groups; return how many permissions each one has."""
    plan = {
        ADMIN: list(Permission.objects.all()),
        MODERATOR: _permissions(MODERATOR_PERMISSIONS),
        USER: _permissions(USER_PERMISSIONS),
    }
    result = {}
    for name, perms in plan.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)
        result[name] = len(perms)
    return result

"""The incident page: one timeline in time order, post-mortem, and a form for updates.

Admins and Moderators see it; both may post internal or public updates and change the status.
"""

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from incidents import queries, services
from incidents.models import Incident
from monitoring_site.roles import ADMIN, MODERATOR, has_role


class UpdateForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), max_length=5000)
    public = forms.BooleanField(required=False, help_text="Shown on status pages if the incident is public.")
    status = forms.ChoiceField(choices=[("", "(unchanged)"), *Incident.Status.choices], required=False)


@staff_member_required
def timeline(request, pk: int):
    if not has_role(request.user, ADMIN, MODERATOR):
        raise PermissionDenied
    incident = get_object_or_404(Incident.objects.select_related("owner"), pk=pk)
    form = UpdateForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "acknowledge":
            services.acknowledge(incident, request.user)
            return redirect(incident)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.add_update(incident, request.user, data["body"], data["public"], data["status"])
            except ValidationError as exc:  # reopening while another incident opened by alerts is open
                form.add_error("status", exc.message_dict["status"])
            else:
                return redirect(incident)
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "title": f"Incident #{incident.pk}: {incident.title}",
        "incident": incident,
        "entries": queries.timeline(incident),
        "acknowledged": queries.first_acknowledged(incident),
        "action_items": incident.action_items.select_related("owner"),
        "form": form,
    }
    return TemplateResponse(request, "incidents/timeline.html", context)

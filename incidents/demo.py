"""seed_demo: a resolved incident with its post-mortem, a deploy marker, and a public status page."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import ActionItem, Event, Incident, IncidentUpdate, StatusPage, StatusPageComponent


def seed(days: int, events: int, stdout) -> None:
    now = timezone.now()
    if not Incident.objects.filter(title="Nightly backup did not run").exists():
        opened = now - timedelta(days=3, hours=2)
        Event.objects.create(
            kind="deploy", title="api 2.14.0", version="2.14.0", timestamp=opened - timedelta(minutes=20)
        )
        incident = Incident.objects.create(
            title="Nightly backup did not run",
            severity=Incident.Severity.P2,
            status=Incident.Status.RESOLVED,
            public=True,
            public_title="Delayed nightly backups",
            created_at=opened,
            acknowledged_at=opened + timedelta(minutes=4),
            mitigated_at=opened + timedelta(minutes=25),
            resolved_at=opened + timedelta(minutes=48),
            summary="The backup job's container could not mount its volume after the 2.14.0 deploy.",
            root_cause="A renamed volume in the deploy manifest.",
        )
        IncidentUpdate.objects.create(
            incident=incident,
            created_at=opened + timedelta(minutes=10),
            public=True,
            body="Backups are delayed; data is safe.",
        )
        IncidentUpdate.objects.create(
            incident=incident,
            created_at=opened + timedelta(minutes=48),
            public=True,
            status="resolved",
            body="Backups run again.",
        )
        ActionItem.objects.create(incident=incident, text="Alert on a failed volume mount in the job wrapper")
    page, _ = StatusPage.objects.get_or_create(slug="demo", defaults={"title": "Demo status"})
    if not page.components.exists():
        from checks.models import Check

        for position, (name, public_name) in enumerate(
            [("Nightly pg_dump", "Backups"), ("Invoice mailer", "Invoice e-mails")]
        ):
            check = Check.objects.filter(name=name).first()
            if check:
                StatusPageComponent.objects.create(
                    page=page, public_name=public_name, check_item=check, position=position
                )
    stdout.write(f"  incidents: {Incident.objects.count()} incidents; status page at /status-page/{page.slug}/")

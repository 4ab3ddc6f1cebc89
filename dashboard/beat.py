SCHEDULE = {
    # Every 30 s matches the cache's freshness: the default overview is never computed on a request.
    "dashboard-warm-overview": {"task": "dashboard.tasks.warm_overview", "schedule": 30.0, "options": {"expires": 25}},
}

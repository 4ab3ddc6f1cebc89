SCHEDULE = {
    # Every 30 s matches the cache's freshness: the default overview is never computed on a request.
    "dashboard-warm-overview": {"task": "dashboard.tasks.warm_overview", "schedule": 30.0, "options": {"expires": 25}},
    # Every tab and range, well inside the cache's 10-minute keep time: a first view of a long
    # range is answered from the cache instead of waiting seconds for its queries.
    "dashboard-warm-all": {"task": "dashboard.tasks.warm_all", "schedule": 300.0, "options": {"expires": 290}},
}

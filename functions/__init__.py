"""The Lambda entry points: api (the HTTP API), route_tasks (steps of the routes), housekeeping (schedules)."""

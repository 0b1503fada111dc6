"""Alerts: rules in alerts.yaml (and built-in ones) that watch one number each, run on a
schedule, keep their state and notify a webhook or e-mail once per episode.

    rules.py      alerts.yaml's models and the built-in rules
    loading.py    reading alerts.yaml over the built-ins, with errors naming rule and field
    schedule.py   cron expressions and "every 15m"
    evaluate.py   a rule's query to one number
    history.py    state, episodes and deliveries in the state store
    notify.py     webhook (Slack-compatible JSON) and SMTP e-mail
    service.py    AlertService: the rules in force, running them, listing them
    scheduler.py  the thread that submits due rules to the job runner
"""

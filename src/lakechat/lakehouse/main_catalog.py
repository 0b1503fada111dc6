"""``main.duckdb``: the learning-analytics app (``main.learning``) and small sales, HR and
finance schemas for the governance and incident stories.

The data agrees with the system catalog built from the same seed and as-of day: a table
the incident plan makes stale stops receiving rows when its writer job was paused, and
the column the plan picks for the null-rate incident is often missing.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from lakechat.lakehouse.rows import load_rows
from lakechat.lakehouse.system.plan import IncidentPlan
from lakechat.lakehouse.system.population import rng_for

Progress = Callable[[int, int], None]
Row = dict[str, Any]

STUDENTS = 2000
FEATURE_DAYS = 60
#: Share of rows missing the null-rate incident's column (other columns: under 1%).
INCIDENT_NULL_RATE = 0.32

DDL = """
CREATE SCHEMA learning; CREATE SCHEMA sales; CREATE SCHEMA hr; CREATE SCHEMA finance;
CREATE TABLE learning.students (student_id INTEGER, email VARCHAR, full_name VARCHAR,
  institution VARCHAR, education_level VARCHAR, region VARCHAR, registration_date DATE);
CREATE TABLE learning.learning_modules (module_id INTEGER, title VARCHAR, skills VARCHAR[],
  difficulty_level VARCHAR, duration_hours DOUBLE);
CREATE TABLE learning.module_assignments (assignment_id INTEGER, student_id INTEGER,
  module_id INTEGER, status VARCHAR, progress_pct DOUBLE, assigned_date DATE,
  started_date DATE, completed_date DATE);
CREATE TABLE learning.student_daily_features (student_id INTEGER, feature_date DATE,
  modules_assigned INTEGER, modules_started INTEGER, modules_completed INTEGER,
  avg_completion_pct DOUBLE, days_since_registration INTEGER, active_minutes INTEGER);
CREATE TABLE learning.student_dropout_risk (student_id INTEGER, risk_level VARCHAR,
  risk_score DOUBLE, risk_reason VARCHAR);
CREATE TABLE learning.career_surveys (survey_id INTEGER, student_id INTEGER,
  submitted_date DATE, target_role VARCHAR, confidence_score INTEGER,
  satisfaction_score INTEGER, wants_mentoring BOOLEAN);
CREATE TABLE sales.customers (customer_id INTEGER, name VARCHAR, email VARCHAR,
  segment VARCHAR, region VARCHAR, created_at DATE, updated_at DATE);
CREATE TABLE sales.products (product_id INTEGER, name VARCHAR, category VARCHAR,
  list_price DECIMAL(10,2));
CREATE TABLE sales.orders (order_id INTEGER, customer_id INTEGER, product_id INTEGER,
  order_date DATE, quantity INTEGER, amount DECIMAL(12,2), status VARCHAR);
CREATE TABLE sales.orders_daily (order_date DATE, region VARCHAR, orders INTEGER,
  revenue DECIMAL(14,2));
CREATE TABLE sales.tmp_export (export_id INTEGER, payload VARCHAR, exported_at TIMESTAMP);
CREATE TABLE hr.employees (employee_id INTEGER, full_name VARCHAR, email VARCHAR,
  department VARCHAR, title VARCHAR, manager_id INTEGER, hire_date DATE, location VARCHAR);
CREATE TABLE hr.salaries (employee_id INTEGER, base_salary DECIMAL(12,2), bonus_pct DOUBLE,
  currency VARCHAR, effective_date DATE);
CREATE TABLE hr.performance_reviews (review_id INTEGER, employee_id INTEGER, period VARCHAR,
  rating INTEGER, reviewer_id INTEGER);
CREATE TABLE finance.gl_entries (entry_id INTEGER, entry_date DATE, account VARCHAR,
  cost_center VARCHAR, amount DECIMAL(14,2), description VARCHAR);
CREATE TABLE finance.invoices (invoice_id INTEGER, customer_id INTEGER, issue_date DATE,
  due_date DATE, amount DECIMAL(12,2), status VARCHAR);
CREATE TABLE finance.budgets (cost_center VARCHAR, fiscal_year INTEGER, quarter INTEGER,
  budget_amount DECIMAL(14,2));
"""

_FIRST = ("ana", "ben", "chloe", "dev", "eva", "finn", "gus", "hina", "ivo", "jia", "kai",
          "lea", "milo", "noor", "oli", "pia", "raj", "sara", "tom", "una", "vik", "wil")  # fmt: skip
_LAST = ("ali", "berg", "cruz", "diaz", "endo", "fox", "gray", "hall", "iqbal", "jung", "khan",
         "lund", "mori", "ng", "ortiz", "park", "reyes", "silva", "tran", "vogel", "wong")  # fmt: skip
INSTITUTIONS = ("Northbridge University", "Lakeside College", "Harbor Tech Institute",
                "Summit Community College", "Riverside Academy", "Open Learning Online")  # fmt: skip
LEVELS = ("high_school", "bachelor", "master", "phd", "bootcamp")
REGIONS = ("EMEA", "NA", "APAC", "LATAM")
SKILLS = ("sql", "python", "statistics", "visualisation", "spark", "ml", "communication",
          "cloud", "governance", "dbt")  # fmt: skip
ROLES = ("data analyst", "data engineer", "ml engineer", "analytics engineer", "data scientist")


class _Dates:
    """The last day each table received rows: stale tables stop when their job paused."""

    def __init__(self, plan: IncidentPlan) -> None:
        self.as_of = plan.clock.as_of
        self.stale_end = self.as_of - dt.timedelta(days=5)
        self.stale = set(plan.stale_tables)

    def last(self, table: str) -> dt.date:
        return self.stale_end if table in self.stale else self.as_of - dt.timedelta(days=1)


def build_main(
    path: Path, plan: IncidentPlan, seed: int, progress: Progress | None = None
) -> dict[str, Any]:
    """Write ``main.duckdb``; returns the measured null-rate incident's evidence."""
    rng = rng_for(seed, "main-catalog")
    dates = _Dates(plan)
    tables = {
        **_learning(rng, dates),
        **_sales(rng, dates),
        **_hr(rng),
        **_finance(rng, dates),
    }
    table_name, column = plan.null_table.removeprefix("main."), plan.null_column
    for row in tables[table_name]:
        if rng.random() < INCIDENT_NULL_RATE:
            row[column] = None
    conn = duckdb.connect(str(path))
    try:
        conn.execute(DDL)
        with tempfile.TemporaryDirectory(prefix="lakechat-main-") as scratch:
            for step, (table, rows) in enumerate(tables.items(), start=1):
                load_rows(conn, table, rows, Path(scratch))
                if progress:
                    progress(step, len(tables))
        schema, name = table_name.split(".")
        # names from the plan's own constants, never from input
        measure = f'SELECT avg(("{column}" IS NULL)::INTEGER) FROM "{schema}"."{name}"'  # noqa: S608
        (rate,) = conn.execute(measure).fetchone() or (0,)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return {"column": column, "null_rate": round(float(rate), 3), "expected_max_null_rate": 0.05}


def _learning(rng: random.Random, dates: _Dates) -> dict[str, list[dict[str, Any]]]:
    as_of = dates.as_of
    students: list[Row] = []
    for sid in range(1, STUDENTS + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        students.append({
            "student_id": sid, "email": f"{first}.{last}{sid}@students.example.edu",
            "full_name": f"{first.title()} {last.title()}", "institution": rng.choice(INSTITUTIONS),
            "education_level": rng.choice(LEVELS), "region": rng.choice(REGIONS),
            "registration_date": as_of - dt.timedelta(days=rng.randrange(20, 720)),
        })  # fmt: skip
    modules = [
        {"module_id": m, "title": f"{rng.choice(('Intro to', 'Applied', 'Advanced', 'Practical'))} {skill.title()} {m}",
         "skills": rng.sample(SKILLS, 2) if skill in ("ml", "spark") else [skill],
         "difficulty_level": rng.choice(("beginner", "intermediate", "advanced")),
         "duration_hours": float(rng.choice((2, 4, 6, 8, 12, 20)))}
        for m, skill in enumerate([s for s in SKILLS for _ in range(4)], start=1)
    ]  # fmt: skip
    assignments: list[Row] = []
    features: list[Row] = []
    risks: list[Row] = []
    surveys: list[Row] = []
    last_feature = dates.last("main.learning.student_daily_features")
    first_feature = as_of - dt.timedelta(days=FEATURE_DAYS)
    for student in students:
        sid, registered = student["student_id"], student["registration_date"]
        engaged = rng.betavariate(2, 2)
        own = []
        for module in rng.sample(modules, rng.randrange(2, 9)):
            assigned = registered + dt.timedelta(
                days=rng.randrange(0, max(1, (as_of - registered).days))
            )
            roll = rng.random()
            status = (
                "completed"
                if roll < engaged * 0.7
                else ("in_progress" if roll < 0.85 else "not_started")
            )
            started = (
                assigned + dt.timedelta(days=rng.randrange(0, 10))
                if status != "not_started"
                else None
            )
            done = (
                min(as_of, started + dt.timedelta(days=rng.randrange(1, 40)))
                if status == "completed" and started
                else None
            )
            progress = (
                100.0
                if status == "completed"
                else (round(rng.uniform(5, 95), 1) if started else 0.0)
            )
            own.append((assigned, started, done, progress))
            assignments.append({
                "assignment_id": len(assignments) + 1, "student_id": sid,
                "module_id": module["module_id"], "status": status, "progress_pct": progress,
                "assigned_date": assigned, "started_date": started, "completed_date": done,
            })  # fmt: skip
        day = max(first_feature, registered)
        while day <= last_feature:
            live = [a for a in own if a[0] <= day]
            features.append({
                "student_id": sid, "feature_date": day, "modules_assigned": len(live),
                "modules_started": sum(1 for a in live if a[1] and a[1] <= day),
                "modules_completed": sum(1 for a in live if a[2] and a[2] <= day),
                "avg_completion_pct": round(sum(a[3] for a in live) / len(live), 1) if live else 0.0,
                "days_since_registration": (day - registered).days,
                "active_minutes": int(rng.expovariate(1 / (60 * engaged + 5))) if rng.random() < engaged else 0,
            })  # fmt: skip
            day += dt.timedelta(days=3 if engaged < 0.2 else 1)
        score = round(1 - engaged + rng.uniform(-0.1, 0.1), 3)
        level = "HIGH" if score > 0.7 else ("MEDIUM" if score > 0.4 else "LOW")
        reason = {"HIGH": "no module progress in 14 days", "MEDIUM": "completion below cohort median",
                  "LOW": "steady weekly activity"}[level]  # fmt: skip
        risks.append(
            {"student_id": sid, "risk_level": level, "risk_score": score, "risk_reason": reason}
        )
        if rng.random() < 0.4:
            surveys.append({
                "survey_id": len(surveys) + 1, "student_id": sid,
                "submitted_date": as_of - dt.timedelta(days=rng.randrange(1, 180)),
                "target_role": rng.choice(ROLES), "confidence_score": rng.randrange(1, 11),
                "satisfaction_score": rng.randrange(1, 11), "wants_mentoring": rng.random() < 0.5,
            })  # fmt: skip
    return {
        "learning.students": students,
        "learning.learning_modules": modules,
        "learning.module_assignments": assignments,
        "learning.student_daily_features": features,
        "learning.student_dropout_risk": risks,
        "learning.career_surveys": surveys,
    }


def _sales(rng: random.Random, dates: _Dates) -> dict[str, list[dict[str, Any]]]:
    as_of = dates.as_of
    customers: list[Row] = [
        {"customer_id": c, "name": f"{rng.choice(_LAST).title()} {rng.choice(('GmbH', 'Ltd', 'Inc', 'SA', 'BV'))}",
         "email": f"buyer{c}@customer{c % 97}.example.com", "segment": rng.choice(("SMB", "MID", "ENTERPRISE")),
         "region": rng.choice(REGIONS), "created_at": as_of - dt.timedelta(days=rng.randrange(100, 1500)),
         "updated_at": dates.last("main.sales.customers") - dt.timedelta(days=rng.randrange(0, 60))}
        for c in range(1, 801)
    ]  # fmt: skip
    products: list[Row] = [
        {"product_id": p, "name": f"{rng.choice(('Core', 'Pro', 'Edge', 'Flex'))} {cat} {p}",
         "category": cat, "list_price": f"{rng.uniform(9, 900):.2f}"}
        for p, cat in enumerate([c for c in ("Licences", "Support", "Training", "Hardware") for _ in range(10)], start=1)
    ]  # fmt: skip
    orders: list[Row] = []
    daily: list[Row] = []
    last = dates.last("main.sales.orders")
    last_daily = dates.last("main.sales.orders_daily")
    for offset in range(90, -1, -1):
        day = as_of - dt.timedelta(days=offset)
        if day > last:
            continue
        totals: dict[str, list[float]] = {}
        for _ in range(rng.randrange(15, 40) if day.weekday() < 5 else rng.randrange(3, 10)):
            customer, product = rng.choice(customers), rng.choice(products)
            quantity = rng.randrange(1, 6)
            amount = round(quantity * float(product["list_price"]), 2)
            orders.append({"order_id": len(orders) + 1, "customer_id": customer["customer_id"],
                           "product_id": product["product_id"], "order_date": day, "quantity": quantity,
                           "amount": f"{amount:.2f}", "status": rng.choice(("paid", "paid", "paid", "refunded", "open"))})  # fmt: skip
            bucket = totals.setdefault(customer["region"], [0, 0.0])
            bucket[0] += 1
            bucket[1] += amount
        if day <= last_daily:
            daily += [{"order_date": day, "region": region, "orders": int(n), "revenue": f"{rev:.2f}"}
                      for region, (n, rev) in sorted(totals.items())]  # fmt: skip
    exports = [{"export_id": i, "payload": f"customers batch {i}", "exported_at": dt.datetime.combine(
        as_of - dt.timedelta(days=40 - i), dt.time(2))} for i in range(1, 6)]  # fmt: skip
    return {"sales.customers": customers, "sales.products": products, "sales.orders": orders,
            "sales.orders_daily": daily, "sales.tmp_export": exports}  # fmt: skip


def _hr(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    departments = ("Engineering", "Sales", "Finance", "People", "Learning", "Support")
    employees: list[Row] = []
    salaries: list[Row] = []
    reviews: list[Row] = []
    for e in range(1, 241):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        department = departments[e % len(departments)]
        employees.append({"employee_id": e, "full_name": f"{first.title()} {last.title()}",
                          "email": f"{first}.{last}.{e}@example.com", "department": department,
                          "title": rng.choice(("Associate", "Senior", "Lead", "Manager")),
                          "manager_id": None if e <= 6 else 1 + (e % 6),
                          "hire_date": dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(0, 3800)),
                          "location": rng.choice(("Berlin", "London", "Austin", "Singapore", "Remote"))})  # fmt: skip
        salaries.append({"employee_id": e, "base_salary": f"{rng.uniform(48_000, 190_000):.2f}",
                         "bonus_pct": round(rng.uniform(0, 20), 1), "currency": "USD",
                         "effective_date": dt.date(2026, 1, 1)})  # fmt: skip
        for period in ("2025-H1", "2025-H2", "2026-H1"):
            reviews.append({"review_id": len(reviews) + 1, "employee_id": e, "period": period,
                            "rating": rng.choice((2, 3, 3, 4, 4, 5)), "reviewer_id": 1 + (e % 6)})  # fmt: skip
    return {"hr.employees": employees, "hr.salaries": salaries, "hr.performance_reviews": reviews}


def _finance(rng: random.Random, dates: _Dates) -> dict[str, list[dict[str, Any]]]:
    as_of = dates.as_of
    centers = (
        "CC-100 Engineering",
        "CC-200 Sales",
        "CC-300 Finance",
        "CC-400 People",
        "CC-500 Learning",
    )
    accounts = ("4000 Revenue", "5000 Cloud", "5100 Salaries", "5200 Travel", "5300 Software")
    entries: list[Row] = []
    invoices: list[Row] = []
    for offset in range(90, -1, -1):
        day = as_of - dt.timedelta(days=offset)
        if day <= dates.last("main.finance.gl_entries"):
            for _ in range(rng.randrange(8, 20)):
                account = rng.choice(accounts)
                sign = 1 if account.startswith("4") else -1
                entries.append({"entry_id": len(entries) + 1, "entry_date": day, "account": account,
                                "cost_center": rng.choice(centers),
                                "amount": f"{sign * rng.uniform(50, 25_000):.2f}",
                                "description": f"{account.split(' ', 1)[1].lower()} posting"})  # fmt: skip
        if day <= dates.last("main.finance.invoices") and day.weekday() < 5:
            for _ in range(rng.randrange(2, 8)):
                invoices.append({"invoice_id": len(invoices) + 1, "customer_id": rng.randrange(1, 801),
                                 "issue_date": day, "due_date": day + dt.timedelta(days=30),
                                 "amount": f"{rng.uniform(200, 40_000):.2f}",
                                 "status": "paid" if day < as_of - dt.timedelta(days=35) else rng.choice(("open", "paid", "overdue"))})  # fmt: skip
    budgets = [{"cost_center": c, "fiscal_year": as_of.year, "quarter": q,
                "budget_amount": f"{rng.uniform(100_000, 900_000):.2f}"}
               for c in centers for q in (1, 2, 3, 4)]  # fmt: skip
    return {"finance.gl_entries": entries, "finance.invoices": invoices, "finance.budgets": budgets}

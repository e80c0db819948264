"""Background tasks: the database worker by default, RQ on Redis for several machines."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import task_backends

from baogong.core.jobs import create_job
from baogong.core.models import Job
from baogong.core.tasks import count_to


@pytest.mark.django_db(transaction=True)
def test_database_worker_runs_the_job_and_the_page_shows_its_progress(base, client_for):
    client = client_for("commander")
    response = client.post("/jobs/demo/")
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.status == "queued" and job.task_result_id
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and 'aria-valuenow="0"' in page

    call_command("db_worker", "--batch", "--interval", "0")

    job.refresh_from_db()
    assert job.status == "succeeded" and job.progress == 100
    assert job.result == {"n": 20, "sum": 210}
    partial = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-valuenow="100"' in partial and "every 1s" not in partial


@pytest.mark.django_db(transaction=True)
def test_a_job_delivered_again_after_it_succeeded_is_not_run_again(base, user):
    """At-least-once queues (and the replay, which runs its drill's body itself) may deliver a job
    twice: the second delivery answers the recorded result and changes nothing."""
    job = create_job("demo", "twice", owner=user("commander"))
    assert count_to.call(str(job.pk), 3) == {"n": 3, "sum": 6}
    Job.objects.filter(pk=job.pk).update(result={"n": 3, "sum": 6, "kept": True})
    assert count_to.call(str(job.pk), 4) == {"n": 3, "sum": 6, "kept": True}
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result == {"n": 3, "sum": 6, "kept": True}
    # a failed job is run again
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    assert count_to.call(str(job.pk), 4) == {"n": 4, "sum": 10}


def test_other_users_cannot_see_a_job(base, client_for, user):
    job = create_job("demo", "x", owner=user("commander"))
    assert client_for("warehouse").get(f"/jobs/{job.pk}/").status_code == 404


REDIS_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
REDIS_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/15", "DEFAULT_TIMEOUT": 60}}


@pytest.mark.django_db(transaction=True)
def test_redis_backend_runs_the_job_on_an_rq_worker(base, user):
    import django_rq
    from django.conf import settings

    apps = [*settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    with override_settings(TASKS=REDIS_TASKS, RQ_QUEUES=REDIS_QUEUES, INSTALLED_APPS=apps):
        task_backends._settings = None  # type: ignore[attr-defined]
        for cache in ("backends", "_backends"):
            task_backends.__dict__.pop(cache, None)
        queue = django_rq.get_queue("default")
        queue.connection.ping()
        queue.empty()
        job = create_job("demo", "redis", owner=user("commander"))
        result = count_to.using(backend="default").enqueue(str(job.pk), 5)
        assert type(task_backends["default"]).__name__ == "RQBackend"
        from django_tasks_rq.backend import Job as RQJob
        from rq import SimpleWorker

        worker = django_rq.get_worker("default", job_class=RQJob, worker_class=SimpleWorker)
        worker.work(burst=True)
        job.refresh_from_db()
        assert job.status == "succeeded" and job.result == {"n": 5, "sum": 15}
        assert result.id

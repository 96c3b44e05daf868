from django.apps import AppConfig


class SweepsConfig(AppConfig):
    name = "apps.sweeps"
    label = "sweeps"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.runs.signals import run_finished, run_upserted
        from apps.sweeps import receivers, tasks  # noqa: F401  (tasks: registered by name)

        run_upserted.connect(receivers.attach_on_upsert, dispatch_uid="sweeps.attach_on_upsert")
        run_finished.connect(receivers.record_on_finish, dispatch_uid="sweeps.record_on_finish")

from django.apps import AppConfig


class WorksConfig(AppConfig):
    name = "works"
    verbose_name = "Works and imports"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from bzpeer.lib import lookups  # noqa: F401 - registers the `any` lookup

        from . import models

        # Search results are cached under the works data version (works.search_cache): a
        # save or delete of anything they show moves it once the transaction commits.
        # Bulk writes send no signal; the services doing them announce the authors they
        # touched (bzpeer.lib.events), which moves it too.
        shown = (
            models.Work, models.Authorship, models.WorkTopic, models.Venue, models.Topic,
            models.Institution, models.Author,
        )  # fmt: skip
        for model in shown:
            for signal in (post_save, post_delete):
                signal.connect(
                    _works_changed, sender=model, dispatch_uid=f"works.version.{model.__name__}"
                )


def _works_changed(**_) -> None:
    from bzpeer.lib.versions import works_data_version_bump_on_commit

    works_data_version_bump_on_commit()

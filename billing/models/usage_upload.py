"""A background usage import's upload, kept in the database until the import ran (billing.usage.services
`usage_import_start`): web and worker processes may run on different hosts without a shared file system, and the
upload goes with the database's backups and transactions. Stored in 1 MiB chunks, written and read one at a time, so
memory stays flat whatever the size; deleted when the import succeeded."""

from django.db import models


class UsageUpload(models.Model):
    usage_import = models.ForeignKey("billing.UsageImport", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["usage_import", "seq"], name="usageupload_chunk_once")]

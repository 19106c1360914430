# The covering index for item analysis gains the response id (its scan of the
# options picked names one response per set picked). Built under a new name
# before the old one is dropped: on PostgreSQL the build blocks writes to the
# responses, not reads, and the table is locked only for the final drop.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0008_certificate_outlives_account"),
        ("quizzes", "0007_item_tallies"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                fields=["attempt"], include=("question", "score", "selected", "id"),
                name="response_item_analysis_v2",
            ),
        ),
        migrations.RemoveIndex(
            model_name="response",
            name="response_item_analysis",
        ),
    ]

# Indexes for the pages under load (bench/load.py): the dashboard's instances due soon, the
# action list's default order, an object's audit trail. The instance index on (status) is
# replaced by one on (status, due), which serves everything the old one did.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_attachment'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='instance',
            name='core_instan_status_b939ae_idx',
        ),
        migrations.AddIndex(
            model_name='instance',
            index=models.Index(fields=['status', 'due'], name='instance_status_due_idx'),
        ),
        migrations.AddIndex(
            model_name='action',
            index=models.Index(fields=['due_on', 'id'], name='action_due_idx'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['object_type', 'object_id'], name='audit_object_idx'),
        ),
    ]

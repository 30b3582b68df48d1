# Attachments of agreements: files kept with an agreement or one of its versions.

import django.db.models.deletion
import pacta.core.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_api'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(max_length=200, upload_to=pacta.core.models.attachment_path, verbose_name='file')),
                ('name', models.CharField(help_text="The file's name as uploaded, made safe.", max_length=200, verbose_name='name')),
                ('size', models.PositiveBigIntegerField(verbose_name='size')),
                ('content_type', models.CharField(max_length=100, verbose_name='content type')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('description', models.CharField(blank=True, max_length=500, verbose_name='description')),
                ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded')),
                ('agreement', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='core.agreement', verbose_name='agreement')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
                ('version', models.ForeignKey(blank=True, help_text='The version it belongs to, e.g. the amendment it signs.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='attachments', to='core.agreementversion', verbose_name='version')),
            ],
            options={
                'verbose_name': 'attachment',
                'verbose_name_plural': 'attachments',
                'ordering': ['agreement', '-uploaded_at', '-id'],
            },
        ),
    ]

"""Signing secrets stored encrypted with PARAMETER_KEYS (parameters/crypto.py) instead of as plaintext.

The existing secrets are encrypted in place, so receivers keep verifying with the secret they have;
reversing the migration decrypts them back (it needs the same keys)."""

from django.db import migrations, models


def encrypt_secrets(apps, schema_editor):
    from parameters.crypto import encrypt

    endpoints = apps.get_model("webhooks", "WebhookEndpoint").objects.all()
    for endpoint in endpoints.only("pk", "secret", "previous_secret").iterator():
        endpoint.secret_encrypted = encrypt(endpoint.secret)
        endpoint.previous_secret_encrypted = encrypt(endpoint.previous_secret) if endpoint.previous_secret else ""
        endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted"])


def decrypt_secrets(apps, schema_editor):
    from parameters.crypto import decrypt

    endpoints = apps.get_model("webhooks", "WebhookEndpoint").objects.all()
    for endpoint in endpoints.only("pk", "secret_encrypted", "previous_secret_encrypted").iterator():
        endpoint.secret = decrypt(endpoint.secret_encrypted)
        previous = endpoint.previous_secret_encrypted
        endpoint.previous_secret = decrypt(previous) if previous else ""
        endpoint.save(update_fields=["secret", "previous_secret"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_endpoint_payload_format")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(blank=True, default="", editable=False, max_length=100),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
        migrations.RemoveField(model_name="webhookendpoint", name="previous_secret"),
    ]

# Letters: templates, next-step bodies, settings, letters and the outbox (P3.7, P4).

import django.core.validators
import django.db.models.deletion
import klachtbeheer.letters.constants
import klachtbeheer.letters.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('complaints', '0004_letter_cancelled_on'),
        ('organisation', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NextBody',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('applies_to', models.CharField(choices=klachtbeheer.letters.constants.next_body_choices, max_length=32, unique=True, verbose_name='for')),
                ('name', models.CharField(max_length=200, verbose_name='name of the body')),
                ('how_to_reach', models.TextField(help_text='Address, website or phone number, as the decision letter should say it.', verbose_name='how to reach it')),
            ],
            options={
                'verbose_name': 'body for the next step',
                'verbose_name_plural': 'bodies for the next step',
                'ordering': ['applies_to'],
            },
        ),
        migrations.CreateModel(
            name='LetterSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sender_city', models.CharField(blank=True, default='Baarn', max_length=100, verbose_name='place in the date line')),
                ('phone', models.CharField(blank=True, max_length=30, verbose_name='phone in the letterhead')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail address in the letterhead')),
                ('website', models.CharField(blank=True, max_length=100, verbose_name='website in the letterhead')),
                ('reminder_working_days', models.PositiveSmallIntegerField(default=2, help_text='The handler gets one e-mail this many working days before each term.', validators=[django.core.validators.MaxValueValidator(20)], verbose_name='remind the handler (working days before a term)')),
                ('digest_hour', models.PositiveSmallIntegerField(default=7, help_text='The quality manager gets the overdue terms once a day from this hour.', validators=[django.core.validators.MaxValueValidator(23)], verbose_name='hour of the daily overdue digest')),
            ],
            options={
                'verbose_name': 'letter settings',
                'verbose_name_plural': 'letter settings',
                'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='letter_settings_singleton')],
            },
        ),
        migrations.CreateModel(
            name='LetterTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('acknowledgement', 'Acknowledgement of receipt'), ('withdrawal', 'Confirmation of withdrawal'), ('meeting_invitation', 'Meeting invitation'), ('extension', 'Notice of extension'), ('decision', 'Decision letter'), ('not_a_complaint', 'Answer: not a complaint')], max_length=32, verbose_name='letter')),
                ('version', models.PositiveIntegerField(verbose_name='version')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('body', models.TextField(help_text='From the salutation to the signature. Blank lines separate paragraphs; lines starting with “- ” become a list. Placeholders such as {{ naam }} are filled in.', verbose_name='text')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='made at')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='made by')),
            ],
            options={
                'verbose_name': 'letter template',
                'verbose_name_plural': 'letter templates',
                'ordering': ['kind', '-version'],
            },
        ),
        migrations.CreateModel(
            name='Letter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('kind', models.CharField(choices=[('acknowledgement', 'Acknowledgement of receipt'), ('withdrawal', 'Confirmation of withdrawal'), ('meeting_invitation', 'Meeting invitation'), ('extension', 'Notice of extension'), ('decision', 'Decision letter'), ('not_a_complaint', 'Answer: not a complaint')], max_length=32, verbose_name='letter')),
                ('template_version', models.PositiveIntegerField(verbose_name='template version')),
                ('our_reference', models.CharField(max_length=40, verbose_name='our reference')),
                ('letter_date', models.DateField(verbose_name='date of the letter')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('text', models.TextField(verbose_name='exact text')),
                ('html', models.TextField(verbose_name='exact HTML the PDF is made from')),
                ('calendar', models.TextField(blank=True, verbose_name='calendar file (.ics)')),
                ('channel', models.CharField(choices=[('email', 'E-mail (PDF attached)'), ('post', 'Post (print queue)')], max_length=16, verbose_name='sent by')),
                ('recipient_email', models.EmailField(blank=True, max_length=254, verbose_name='to e-mail address')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='made at')),
                ('pdf', models.FileField(blank=True, max_length=200, upload_to=klachtbeheer.letters.models.letter_pdf_path, verbose_name='PDF')),
                ('sha256', models.CharField(blank=True, max_length=64, verbose_name='SHA-256 of the PDF')),
                ('size', models.PositiveIntegerField(blank=True, null=True, verbose_name='size (bytes)')),
                ('sent_on', models.DateField(blank=True, null=True, verbose_name='sent on')),
                ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='letters', to='complaints.complaint', verbose_name='complaint')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='made by')),
                ('due', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='letters', to='complaints.letterdue', verbose_name='letter owed')),
                ('posted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='posted by')),
                ('template', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='letters.lettertemplate', verbose_name='template')),
            ],
            options={
                'verbose_name': 'letter',
                'verbose_name_plural': 'letters',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='OutgoingMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(default=klachtbeheer.letters.models.new_message_id, max_length=32, unique=True, verbose_name='message id')),
                ('message_id', models.CharField(max_length=200, unique=True, verbose_name='Message-ID header')),
                ('kind', models.CharField(choices=[('letter', 'Letter to the complainant'), ('reminder', 'Reminder to the handler'), ('digest', 'Overdue digest to the quality manager')], max_length=16, verbose_name='kind')),
                ('dedupe_key', models.CharField(blank=True, help_text='Reminders and digests: the same key is never queued twice.', max_length=200, null=True, unique=True, verbose_name='sent once per')),
                ('to', models.EmailField(max_length=254, verbose_name='to')),
                ('from_email', models.CharField(max_length=200, verbose_name='from')),
                ('subject', models.CharField(max_length=250, verbose_name='subject')),
                ('body', models.TextField(verbose_name='text')),
                ('status', models.CharField(choices=[('queued', 'Waiting to be sent'), ('sending', 'Being sent'), ('sent', 'Sent'), ('failed', 'Failed for good')], default='queued', max_length=16, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('lease_until', models.DateTimeField(blank=True, null=True, verbose_name='claimed until')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='queued at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('complaint', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='complaints.complaint', verbose_name='complaint')),
                ('letter', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='message', to='letters.letter', verbose_name='letter')),
            ],
            options={
                'verbose_name': 'outgoing message',
                'verbose_name_plural': 'outbox',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='lettertemplate',
            constraint=models.UniqueConstraint(fields=('kind', 'version'), name='letter_template_version'),
        ),
        migrations.AddIndex(
            model_name='letter',
            index=models.Index(fields=['channel', 'sent_on'], name='letter_print_queue'),
        ),
        migrations.AddConstraint(
            model_name='letter',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('channel', 'email'), _negated=True), models.Q(('recipient_email', ''), _negated=True), _connector='OR'), name='letter_email_has_address'),
        ),
        migrations.AddIndex(
            model_name='outgoingmessage',
            index=models.Index(fields=['status', 'next_attempt_at'], name='outbox_due'),
        ),
        migrations.AddConstraint(
            model_name='outgoingmessage',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='outbox_sent_has_time'),
        ),
    ]

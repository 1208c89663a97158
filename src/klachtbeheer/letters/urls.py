from django.urls import path

from klachtbeheer.letters import views

app_name = "letters"
urlpatterns = [
    path("afdrukken/", views.print_queue_view, name="print_queue"),
    path("uitgaand/", views.outbox_view, name="outbox"),
    path("uitgaand/<str:token>/opnieuw/", views.message_retry_view, name="retry"),
    path("klacht/<str:reference>/te-versturen/<int:due_id>/", views.letter_due_view, name="due"),
    path("klacht/<str:reference>/<uuid:uid>.pdf", views.letter_pdf_view, name="pdf"),
    path("klacht/<str:reference>/<uuid:uid>.ics", views.letter_ics_view, name="ics"),
    path("klacht/<str:reference>/<uuid:uid>/verstuurd/", views.letter_posted_view, name="posted"),
]

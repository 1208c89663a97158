from django.urls import path

from klachtbeheer.mailintake import views

app_name = "mailintake"
urlpatterns = [
    path("", views.review_list_view, name="review_list"),
    path("<int:pk>/", views.review_detail_view, name="detail"),
    path("<int:pk>/origineel/", views.original_view, name="original"),
    path(
        "<int:pk>/klacht/",
        views.review_action_view,
        {"action": "complaint"},
        name="make_complaint",
    ),
    path("<int:pk>/koppelen/", views.review_action_view, {"action": "attach"}, name="attach"),
    path("<int:pk>/negeren/", views.review_action_view, {"action": "ignore"}, name="ignore"),
]

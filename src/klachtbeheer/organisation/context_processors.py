from klachtbeheer.organisation.selectors import role_of


def staff_role(request):
    return {"staff_role": role_of(getattr(request, "user", None))}

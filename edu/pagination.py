from rest_framework import pagination
from rest_framework.exceptions import APIException, NotFound


class BadQuery(APIException):
    """A query parameter the endpoint cannot use: 400 with a message."""

    status_code = 400
    default_detail = "Invalid query parameter."
    default_code = "invalid_query"


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's, but a page that is not a number or does not exist is a 400."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise BadQuery(
                f"Invalid page {request.query_params.get(self.page_query_param)!r}: "
                "give a page number from 1 to the last page."
            ) from None

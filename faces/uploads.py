"""Photo uploads stay in memory and stop being kept past the size limit.

Django's default handlers spool a file over FILE_UPLOAD_MAX_MEMORY_SIZE to a
temporary file before any form sees it: a big "photo" would touch the disk.
PhotoUploadHandler, first in settings.FILE_UPLOAD_HANDLERS, takes every file
sent to the public site (the upload page, the API and the live camera, whatever
the field is called): it keeps up to settings.MAX_UPLOAD_BYTES in memory, and
past that drops each further chunk as it arrives (the body is still read, so
the visitor gets the form back with the "too large" message instead of a reset
connection). The form then sees an empty file whose size is what was sent, and
refuses it with that message. Only the admin's uploads (staff's catalogue CSVs,
which may be large) go on to Django's own handlers.

A file in any other field than the photo's (PHOTO_FIELDS) is skipped unread,
and a second file is refused (settings.DATA_UPLOAD_MAX_NUMBER_FILES) before
its bytes are kept; the whole body is capped before this handler runs
(moodsite.middleware.RequestSizeLimitMiddleware).
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    SkipFile,
    StopFutureHandlers,
)
from django.urls import reverse

# The fields a photo arrives in: the upload page, the API, the live camera.
PHOTO_FIELDS = ("photo", "image", "frame")


class PhotoUploadHandler(FileUploadHandler):
    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        # Uploads to the admin are staff's, not photos: Django's handlers take them.
        self.active = not self.request.path.startswith(reverse("admin:index"))
        if self.active and field_name not in PHOTO_FIELDS:
            raise SkipFile()  # no view reads it: its bytes are dropped as they come
        if self.active:
            self.buffer = io.BytesIO()
            self.received = 0
            raise StopFutureHandlers()  # no other handler gets this file's bytes

    def receive_data_chunk(self, raw_data, start):
        if not self.active:
            return raw_data
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_BYTES:
            self.buffer = None  # too large: keep nothing, count the rest
        elif self.buffer is not None:
            self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        if not self.active:
            return None
        content = self.buffer or io.BytesIO()
        content.seek(0)
        return InMemoryUploadedFile(
            file=content,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,  # the real size, also when the bytes were dropped
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

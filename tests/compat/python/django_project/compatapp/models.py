from django.db import models


class Post(models.Model):
    """A post with a like counter; Django adds its BigAutoField id."""

    title = models.TextField()
    likes = models.BigIntegerField(default=0, db_default=0)

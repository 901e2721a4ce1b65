"""{{ emotion|feeling }}: an emotion name as the site says it (recommender.wording)."""

from django import template

from recommender.wording import adjective

register = template.Library()


@register.filter
def feeling(emotion):
    return adjective(emotion)

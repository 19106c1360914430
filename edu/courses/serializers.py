from django.urls import reverse
from rest_framework import serializers

from .models import Certificate, Cohort, Course, Lesson


class LessonSummarySerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Lesson
        fields = ["id", "course", "slug", "title", "position"]
        read_only_fields = fields


class LessonSerializer(LessonSummarySerializer):
    completed = serializers.SerializerMethodField()

    class Meta(LessonSummarySerializer.Meta):
        fields = [*LessonSummarySerializer.Meta.fields, "body", "body_html", "completed"]
        read_only_fields = fields

    def get_completed(self, lesson) -> bool:
        return getattr(lesson, "completed_at", None) is not None


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "slug", "title", "summary", "source"]
        read_only_fields = fields


class QuizProgressSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    attempts = serializers.IntegerField(source="attempt_count")
    best_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(source="has_passed")
    open_attempt = serializers.IntegerField(
        source="open_attempt_id", allow_null=True, help_text="The attempt to resume, if any."
    )


class StepSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["lesson", "quiz", "certificate"])
    title = serializers.CharField()
    url = serializers.CharField()


class TopicSerializer(serializers.Serializer):
    tag = serializers.CharField()
    label = serializers.CharField()
    mastery = serializers.DecimalField(max_digits=5, decimal_places=0, source="percent")
    weak = serializers.BooleanField()
    lessons = serializers.SerializerMethodField()

    def get_lessons(self, topic) -> list[str]:
        return [lesson.slug for lesson in topic.lessons.values()]


class CourseProgressSerializer(serializers.Serializer):
    course = serializers.CharField(source="slug")
    title = serializers.CharField()
    lessons_completed = serializers.IntegerField(source="completed_count")
    lessons_total = serializers.IntegerField(source="lesson_count")
    next_lesson = serializers.CharField(source="next_slug", allow_null=True)
    next_step = StepSerializer(help_text="The one next step along the course's path.")
    classes = serializers.SerializerMethodField()
    quizzes = QuizProgressSerializer(many=True, source="quiz_list")
    topics = TopicSerializer(many=True)
    complete = serializers.BooleanField()
    certificate = serializers.SerializerMethodField()

    def get_certificate(self, course) -> str | None:
        return course.certificate.code if course.certificate else None

    def get_classes(self, course) -> list[dict]:
        return [{"name": name, "instructors": teachers} for name, teachers in course.classes]


class CohortSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    learners = serializers.IntegerField(source="learner_count")

    class Meta:
        model = Cohort
        fields = ["id", "name", "course", "learners", "join_code", "join_code_expires_at"]
        read_only_fields = fields


class GradebookQuizSerializer(serializers.Serializer):
    quiz = serializers.CharField()
    best_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField()
    attempts = serializers.IntegerField()


class GradebookRowSerializer(serializers.Serializer):
    username = serializers.CharField(source="learner.username")
    name = serializers.CharField(source="learner.full_name")
    lessons_completed = serializers.IntegerField(source="lessons_done")
    quizzes = GradebookQuizSerializer(many=True)
    complete = serializers.BooleanField()
    last_activity = serializers.DateTimeField(allow_null=True)


class OptionUseSerializer(serializers.Serializer):
    text = serializers.CharField()
    key = serializers.BooleanField()
    chosen = serializers.IntegerField()
    share = serializers.FloatField()


class ItemSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    title = serializers.CharField()
    attempts = serializers.IntegerField(source="n")
    facility = serializers.FloatField(allow_null=True)
    sd = serializers.FloatField(allow_null=True)
    discrimination = serializers.FloatField(allow_null=True)
    efficiency = serializers.FloatField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())
    options = serializers.SerializerMethodField()

    def get_options(self, item) -> list[dict]:
        return OptionUseSerializer(
            [{"text": t, "key": k, "chosen": c, "share": s} for t, k, c, s in item.options],
            many=True,
        ).data


class ItemAnalysisSerializer(serializers.Serializer):
    quiz = serializers.CharField()
    first_attempts = serializers.IntegerField()
    items = ItemSerializer(many=True)


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="The join code from your instructor.")

    def to_internal_value(self, data):
        if isinstance(data, dict) and set(data) - {"code"}:
            unknown = sorted(set(data) - {"code"})
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class JoinedSerializer(serializers.Serializer):
    cohort = serializers.CharField(help_text="The class joined.")
    course = serializers.CharField(help_text="Its course (slug).")


class CertificateSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    verify_url = serializers.SerializerMethodField()
    revoked = serializers.BooleanField(source="is_revoked")

    class Meta:
        model = Certificate
        fields = [
            "code", "name", "course", "issued_at", "final_score", "final_passed_at",
            "revoked", "verify_url",
        ]
        read_only_fields = fields

    def get_verify_url(self, certificate) -> str:
        request = self.context.get("request")
        url = reverse("courses:verify", kwargs={"code": certificate.code})
        return request.build_absolute_uri(url) if request else url

"""Default Chinese texts for the request events (editable afterwards in the back office)."""

from django.db import migrations

SIGN = "【售后服务中心】"
TEMPLATES = [
    ("request.received", "sms", "", SIGN + "您的服务单{{ number }}已受理：{{ title }}。我们将尽快安排处理，查询进度：{{ track_url }}"),
    ("request.received", "email", "服务单 {{ number }} 已受理",
     "{{ customer }}，您好：\n\n您的服务单 {{ number }}（{{ title }}）已于 {{ received_at }} 受理。"
     "{% if promised_at %}\n我们承诺在 {{ promised_at }} 前给您答复。{% endif %}\n\n查询进度：{{ track_url }}\n\n售后服务中心"),
    ("request.dispatched", "sms", "", SIGN + "您的服务单{{ number }}已派工，服务人员：{{ assignee }}。如需改约请致电客服。"),
    ("request.dispatched", "email", "服务单 {{ number }} 已派工",
     "{{ customer }}，您好：\n\n您的服务单 {{ number }} 已安排{{ assignee }}为您服务。\n\n查询进度：{{ track_url }}\n\n售后服务中心"),
    ("request.appointment", "sms", "", SIGN + "服务单{{ number }}：已为您预约{{ appointment }}上门，服务人员{{ assignee }}。"),
    ("request.appointment", "email", "服务单 {{ number }} 上门预约",
     "{{ customer }}，您好：\n\n已为您预约 {{ appointment }} 上门服务，服务人员：{{ assignee }}。\n\n售后服务中心"),
    ("request.resolve", "sms", "", SIGN + "您的服务单{{ number }}已处理完毕：{{ resolution }}。请对本次服务评价：{{ track_url }}"),
    ("request.resolve", "email", "服务单 {{ number }} 已处理完毕",
     "{{ customer }}，您好：\n\n您的服务单 {{ number }} 已处理完毕。\n处理结果：{{ resolution }}\n\n"
     "如问题仍未解决，请直接回复本邮件或在以下页面告诉我们，并请为本次服务评分：{{ track_url }}\n\n售后服务中心"),
    ("request.replied", "email", "服务单 {{ number }} 有新回复",
     "{{ customer }}，您好：\n\n关于服务单 {{ number }}，我们的回复如下：\n\n{{ reply }}\n\n查询进度：{{ track_url }}\n\n售后服务中心"),
    ("request.revisit", "sms", "", SIGN + "您好，我们将对服务单{{ number }}进行回访，了解问题是否解决及您的满意度，感谢配合。"),
    ("request.revisit", "email", "服务单 {{ number }} 服务回访",
     "{{ customer }}，您好：\n\n为了解服务单 {{ number }} 的问题是否已彻底解决，我们将与您联系进行回访。"
     "您也可以直接在此评价：{{ track_url }}\n\n售后服务中心"),
]


def load(apps, schema_editor):
    template = apps.get_model("notifications", "NotificationTemplate")
    for event, channel, subject, body in TEMPLATES:
        template.objects.update_or_create(event=event, channel=channel, defaults={"subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

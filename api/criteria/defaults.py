"""The criteria a new organization starts with, so that its first calls can be scored.

Five criteria of a call centre's quality checklist, written in the organization's analysis language
(`shared.ai.languages`): greeting, needs discovery, product knowledge, politeness, closing. They
are ordinary criteria afterwards (edit, archive, add more through `/criteria`). `POST
/organizations` creates them unless its body says `"defaultCriteria": false`; `flask orgs create`
unless given `--no-default-criteria`. README.md ("Criteria") lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from shared.models import Criterion


@dataclass(frozen=True)
class Wording:
    name: str
    description: str


@dataclass(frozen=True)
class DefaultCriterion:
    weight: float
    wordings: dict[str, Wording]  # by analysis language


# Needs discovery and product knowledge weigh double: they decide whether the call helped at all.
DEFAULT_CRITERIA: tuple[DefaultCriterion, ...] = (
    DefaultCriterion(1.0, {
        "uz": Wording("Salomlashish",
                      "Mijoz bilan salomlashadi, kompaniya nomini va o'z ismini aytadi, yordam taklif qiladi."),
        "ru": Wording("Приветствие",
                      "Здоровается с клиентом, называет компанию и своё имя, предлагает помощь."),
        "en": Wording("Greeting",
                      "Greets the customer, names the company and themselves, and offers to help."),
    }),
    DefaultCriterion(2.0, {
        "uz": Wording("Ehtiyojni aniqlash",
                      "Mijozga nima kerakligini tushunish uchun savollar beradi va uning gapini bo'lmasdan "
                      "tinglaydi."),
        "ru": Wording("Выявление потребностей",
                      "Задаёт вопросы, чтобы понять, что нужно клиенту, и выслушивает его, не перебивая."),
        "en": Wording("Needs discovery",
                      "Asks questions to understand what the customer needs, and listens without interrupting."),
    }),
    DefaultCriterion(2.0, {
        "uz": Wording("Mahsulotni bilish",
                      "Mahsulotlar, xizmatlar va narxlar haqida to'g'ri, to'liq va tushunarli ma'lumot beradi."),
        "ru": Wording("Знание продукта",
                      "Даёт верную, полную и понятную информацию о товарах, услугах и ценах."),
        "en": Wording("Product knowledge",
                      "Gives correct, complete and clear information about products, services and prices."),
    }),
    DefaultCriterion(1.0, {
        "uz": Wording("Xushmuomalalik",
                      "Suhbat davomida xushmuomala va xotirjam bo'ladi, mijozga hurmat bilan munosabatda "
                      "bo'ladi, jargon ishlatmaydi va ovozini ko'tarmaydi."),
        "ru": Wording("Вежливость",
                      "На протяжении всего разговора вежлив, спокоен и уважителен к клиенту, не использует "
                      "жаргон и не повышает голос."),
        "en": Wording("Politeness",
                      "Stays polite, calm and respectful throughout the call, without slang or a raised voice."),
    }),
    DefaultCriterion(1.0, {
        "uz": Wording("Suhbatni yakunlash",
                      "Kelishilgan narsalarni xulosa qiladi, keyingi qadamni aytadi, yana savollari bor-yo'qligini "
                      "so'raydi va xayrlashadi."),
        "ru": Wording("Завершение разговора",
                      "Подводит итог договорённостям, называет следующий шаг, уточняет, остались ли вопросы, "
                      "и прощается."),
        "en": Wording("Closing",
                      "Sums up what was agreed, says what happens next, asks whether anything else is needed "
                      "and says goodbye."),
    }),
)


def add_default_criteria(session: Session, organization_id: int, language: str, max_active: int) -> list[Criterion]:
    """Give a new organization the default criteria in `language` (at most `max_active`: MAX_CRITERIA)."""
    criteria = [Criterion(organization_id=organization_id, name=default.wordings[language].name,
                          weight=default.weight, description=default.wordings[language].description)
                for default in DEFAULT_CRITERIA[:max_active]]
    session.add_all(criteria)
    session.flush()
    return criteria

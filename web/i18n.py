"""Interface strings in French, English and Arabic, and how a request picks its language.

Order of precedence: ``?lang=`` (remembered in a cookie), the cookie, ``Accept-Language``, French.
"""

from __future__ import annotations

from starlette.requests import Request

LANGS = ("fr", "en", "ar")
DEFAULT = "fr"
COOKIE = "ui_lang"
NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}


def direction(lang: str) -> str:
    return "rtl" if lang == "ar" else "ltr"


def from_accept_language(header: str) -> str | None:
    """The supported language the browser prefers most (``fr-CA;q=0.8`` counts as ``fr``)."""
    best: tuple[float, str] | None = None
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if lang in LANGS and q > 0 and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else None


def choose(request: Request) -> tuple[str, bool]:
    """The interface language and whether it was chosen explicitly now (to remember in the cookie)."""
    asked = request.query_params.get("lang", "")
    if asked in LANGS:
        return asked, True
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGS:
        return cookie, False
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT, False


STRINGS: dict[str, dict[str, str]] = {
    "app_name": {"fr": "Assistant culture & numérique", "en": "Culture & digital assistant",
                 "ar": "مساعد الثقافة والرقمنة"},
    "tagline": {"fr": "Réponses citées tirées de la feuille de route « Convention 2005 & numérique » et de documents "
                      "français et européens.",
                "en": "Cited answers from the French roadmap for the 2005 Convention in the digital environment and "
                      "French and European documents.",
                "ar": "إجابات موثقة من خارطة الطريق الفرنسية لاتفاقية 2005 في البيئة الرقمية ومن وثائق فرنسية وأوروبية."},
    "skip": {"fr": "Aller au contenu", "en": "Skip to content", "ar": "انتقل إلى المحتوى"},
    "nav_chat": {"fr": "Discussion", "en": "Chat", "ar": "المحادثة"},
    "nav_aids": {"fr": "Aides et programmes", "en": "Funding & programmes", "ar": "المساعدات والبرامج"},
    "language": {"fr": "Langue", "en": "Language", "ar": "اللغة"},
    "new_chat": {"fr": "Nouvelle discussion", "en": "New chat", "ar": "محادثة جديدة"},
    "history": {"fr": "Vos discussions", "en": "Your conversations", "ar": "محادثاتك"},
    "no_history": {"fr": "Aucune discussion pour l'instant.", "en": "No conversations yet.",
                   "ar": "لا توجد محادثات بعد."},
    "question_label": {"fr": "Votre question", "en": "Your question", "ar": "سؤالك"},
    "question_hint": {"fr": "Entrée pour envoyer, Maj+Entrée pour aller à la ligne.",
                      "en": "Enter to send, Shift+Enter for a new line.",
                      "ar": "اضغط Enter للإرسال و Shift+Enter لسطر جديد."},
    "placeholder": {"fr": "Posez une question sur les documents…", "en": "Ask a question about the documents…",
                    "ar": "اطرح سؤالا عن الوثائق…"},
    "send": {"fr": "Envoyer", "en": "Send", "ar": "إرسال"},
    "you": {"fr": "Vous", "en": "You", "ar": "أنت"},
    "assistant": {"fr": "Assistant", "en": "Assistant", "ar": "المساعد"},
    "conversation": {"fr": "Conversation", "en": "Conversation", "ar": "المحادثة"},
    "writing": {"fr": "Rédaction de la réponse…", "en": "Writing the answer…", "ar": "جارٍ كتابة الإجابة…"},
    "error": {"fr": "La réponse a échoué", "en": "The answer failed", "ar": "تعذرت الإجابة"},
    "ask_empty": {"fr": "Écrivez d'abord une question.", "en": "Write a question first.", "ar": "اكتب سؤالا أولا."},
    "ask_too_long": {"fr": "La question fait {n} caractères ; {max} au plus. Raccourcissez-la pour l'envoyer.",
                     "en": "The question is {n} characters long; {max} at most. Shorten it to send it.",
                     "ar": "يتكون السؤال من {n} حرفا، والحد الأقصى {max}. اختصره لإرساله."},
    "ask_stopped": {"fr": "Réponse interrompue.", "en": "Answer stopped.", "ar": "أوقفت الإجابة."},
    "ask_timeout": {"fr": "Le serveur ne répond plus. Votre question est conservée : réessayez.",
                    "en": "The server stopped responding. Your question is kept: try again.",
                    "ar": "توقف الخادم عن الاستجابة. سؤالك محفوظ: أعد المحاولة."},
    "ask_network": {"fr": "Impossible de joindre le serveur. Votre question est conservée : réessayez.",
                    "en": "The server cannot be reached. Your question is kept: try again.",
                    "ar": "تعذر الوصول إلى الخادم. سؤالك محفوظ: أعد المحاولة."},
    "ask_server": {"fr": "Le serveur a rencontré une erreur. Votre question est conservée : réessayez.",
                   "en": "The server ran into an error. Your question is kept: try again.",
                   "ar": "واجه الخادم خطأ. سؤالك محفوظ: أعد المحاولة."},
    "ask_busy": {"fr": "Trop de questions d'un coup : patientez un instant, puis réessayez.",
                 "en": "Too many questions at once: wait a moment, then try again.",
                 "ar": "أسئلة كثيرة دفعة واحدة: انتظر قليلا ثم أعد المحاولة."},
    "ask_invalid": {"fr": "Cette question ne peut pas être envoyée telle quelle (trop longue, ou sans lettres).",
                    "en": "This question cannot be sent as it is (too long, or without letters).",
                    "ar": "لا يمكن إرسال هذا السؤال كما هو (طويل جدا أو بلا حروف)."},
    "searched": {"fr": "Question comprise :", "en": "Understood as:", "ar": "فُهم السؤال على أنه:"},
    "retry": {"fr": "Réessayer", "en": "Try again", "ar": "أعد المحاولة"},
    "stop": {"fr": "Arrêter", "en": "Stop", "ar": "إيقاف"},
    "sources": {"fr": "Sources", "en": "Sources", "ar": "المصادر"},
    "closest": {"fr": "Sections les plus proches", "en": "Closest sections", "ar": "أقرب الأقسام"},
    "aids_found": {"fr": "Aides correspondantes", "en": "Matching aids", "ar": "المساعدات المطابقة"},
    "suggested": {"fr": "Questions suggérées", "en": "Suggested questions", "ar": "أسئلة مقترحة"},
    "toc": {"fr": "Sommaire de la feuille de route", "en": "Roadmap contents", "ar": "محتويات خارطة الطريق"},
    "export": {"fr": "Exporter en Markdown", "en": "Export as Markdown", "ar": "تصدير بصيغة Markdown"},
    "read_only": {"fr": "Cette discussion a été commencée dans un autre navigateur ; une question ici en ouvre une "
                        "nouvelle.",
                  "en": "This conversation was started in another browser; asking here starts a new one.",
                  "ar": "بدأت هذه المحادثة في متصفح آخر؛ طرح سؤال هنا يبدأ محادثة جديدة."},
    "passage": {"fr": "Passage cité", "en": "Cited passage", "ar": "المقطع المقتبس"},
    "close": {"fr": "Fermer", "en": "Close", "ar": "إغلاق"},
    "section": {"fr": "Section", "en": "Section", "ar": "القسم"},
    "document": {"fr": "Document", "en": "Document", "ar": "الوثيقة"},
    "publisher": {"fr": "Éditeur", "en": "Publisher", "ar": "الناشر"},
    "date": {"fr": "Date", "en": "Date", "ar": "التاريخ"},
    "original": {"fr": "Texte original", "en": "Original text", "ar": "النص الأصلي"},
    "translation": {"fr": "Traduction non officielle", "en": "Unofficial translation", "ar": "ترجمة غير رسمية"},
    "open_passage": {"fr": "Ouvrir le passage dans sa section", "en": "Open the passage in its section",
                     "ar": "افتح المقطع في قسمه"},
    "cited_here": {"fr": "passage cité", "en": "cited passage", "ar": "المقطع المقتبس"},
    "feedback_q": {"fr": "Cette réponse vous a-t-elle aidé ?", "en": "Was this answer helpful?",
                   "ar": "هل كانت هذه الإجابة مفيدة؟"},
    "vote_up": {"fr": "Utile", "en": "Helpful", "ar": "مفيدة"},
    "vote_down": {"fr": "Pas utile", "en": "Not helpful", "ar": "غير مفيدة"},
    "more": {"fr": "Préciser (facultatif)", "en": "Tell us more (optional)", "ar": "أخبرنا بالمزيد (اختياري)"},
    "comment": {"fr": "Commentaire", "en": "Comment", "ar": "تعليق"},
    "search_conversations": {"fr": "Rechercher dans mes conversations", "en": "Search my conversations",
                             "ar": "ابحث في محادثاتي"},
    "no_conversation_found": {"fr": "Aucune conversation ne contient ces mots.", "en": "No conversation holds these words.",
                              "ar": "لا توجد محادثة تحتوي على هذه الكلمات."},
    "manage": {"fr": "Gérer", "en": "Manage", "ar": "إدارة"},
    "new_title": {"fr": "Nouveau titre", "en": "New title", "ar": "عنوان جديد"},
    "rename": {"fr": "Renommer", "en": "Rename", "ar": "إعادة التسمية"},
    "delete": {"fr": "Supprimer…", "en": "Delete…", "ar": "حذف…"},
    "delete_confirm": {"fr": "Supprimer cette conversation, ses réponses et vos avis ? C'est définitif.",
                       "en": "Delete this conversation, its answers and your feedback? This cannot be undone.",
                       "ar": "حذف هذه المحادثة وإجاباتها وتقييماتك؟ لا يمكن التراجع عن ذلك."},
    "delete_for_good": {"fr": "Supprimer définitivement", "en": "Delete for good", "ar": "حذف نهائي"},
    "send_details": {"fr": "Envoyer les précisions", "en": "Send details", "ar": "أرسل التفاصيل"},
    "details_with_vote": {"fr": "Elles seront envoyées avec votre vote (Utile ou Pas utile).",
                          "en": "They are sent with your vote (Helpful or Not helpful).",
                          "ar": "ستُرسل مع تصويتك (مفيدة أو غير مفيدة)."},
    "thanks": {"fr": "Merci, votre avis est enregistré.", "en": "Thank you, your feedback is recorded.",
               "ar": "شكرا، تم تسجيل رأيك."},
    "your_vote": {"fr": "Votre avis", "en": "Your feedback", "ar": "رأيك"},
    "change": {"fr": "Modifier", "en": "Change", "ar": "تعديل"},
    "wrong_source": {"fr": "Source erronée", "en": "Wrong source", "ar": "مصدر خاطئ"},
    "missing_source": {"fr": "Source manquante", "en": "Missing source", "ar": "مصدر ناقص"},
    "wrong_language": {"fr": "Mauvaise langue", "en": "Wrong language", "ar": "لغة خاطئة"},
    "should_have_answered": {"fr": "Aurait dû répondre", "en": "Should have answered", "ar": "كان يجب أن يجيب"},
    "should_not_have_answered": {"fr": "N'aurait pas dû répondre", "en": "Should not have answered",
                                 "ar": "ما كان يجب أن يجيب"},
    "aids_title": {"fr": "Trouver une aide", "en": "Find funding", "ar": "ابحث عن تمويل"},
    "aids_intro": {"fr": "Aides, appels à projets et programmes cités par les documents. Décrivez votre profil ou "
                         "filtrez.",
                   "en": "Aids, calls for projects and programmes the documents describe. Describe your profile or "
                         "filter.",
                   "ar": "المساعدات ودعوات المشاريع والبرامج التي تذكرها الوثائق. صف ملفك أو استخدم عوامل التصفية."},
    "profile": {"fr": "Votre profil", "en": "Your profile", "ar": "ملفك"},
    "profile_ph": {"fr": "ex. : je suis éditrice et je veux numériser une revue",
                   "en": "e.g. I run a music venue and want to stream concerts",
                   "ar": "مثلا: أدير قاعة موسيقى وأريد بث الحفلات"},
    "search": {"fr": "Rechercher", "en": "Search", "ar": "بحث"},
    "reset": {"fr": "Réinitialiser", "en": "Reset", "ar": "إعادة تعيين"},
    "all": {"fr": "Tous", "en": "All", "ar": "الكل"},
    "facet_sector": {"fr": "Secteur", "en": "Sector", "ar": "القطاع"},
    "facet_beneficiary": {"fr": "Bénéficiaire", "en": "Beneficiary", "ar": "المستفيد"},
    "facet_kind": {"fr": "Type d'aide", "en": "Kind of aid", "ar": "نوع المساعدة"},
    "facet_operator": {"fr": "Opérateur", "en": "Operator", "ar": "الجهة المشغلة"},
    "facet_stage": {"fr": "Étape", "en": "Stage", "ar": "المرحلة"},
    "results": {"fr": "résultat(s)", "en": "result(s)", "ar": "نتيجة"},
    "no_aids": {"fr": "Aucune aide ne correspond.", "en": "No aid matches.", "ar": "لا توجد مساعدة مطابقة."},
    "geography": {"fr": "Zone", "en": "Area", "ar": "النطاق"},
    "no_aids_profile": {"fr": "Aucune aide décrite dans ces documents ne correspond à ce profil.",
                        "en": "No aid these documents describe matches this profile.",
                        "ar": "لا تتوافق أي مساعدة تصفها هذه الوثائق مع هذا الملف."},
    "aids_out_of_scope": {"fr": "Ces documents décrivent des aides aux professionnels de la culture et de la création ; "
                                "aucune ne correspond à ce profil.",
                          "en": "These documents describe aids for cultural and creative professionals; none fits "
                                "this profile.",
                          "ar": "تصف هذه الوثائق مساعدات لمهنيي الثقافة والإبداع، ولا تتوافق أي منها مع هذا الملف."},
    "nearest_sectors": {"fr": "Parcourir plutôt les aides des secteurs les plus proches :",
                        "en": "Browse the aids of the nearest sectors instead:",
                        "ar": "تصفح بدلا من ذلك مساعدات أقرب القطاعات:"},
    "aid_for": {"fr": "Pour", "en": "For", "ar": "لمن"},
    "aid_described": {"fr": "Décrit dans « {document} » ({date}) : vérifiez que ce dispositif est toujours ouvert "
                            "auprès de son opérateur ({operator}).",
                      "en": "As described in “{document}” ({date}): check with its operator ({operator}) whether "
                            "it is still open.",
                      "ar": "كما وُصف في «{document}» ({date}): تحقق لدى الجهة المشغلة ({operator}) مما إذا كان لا يزال متاحا."},
    "aid_dated": {"fr": "Lié à {marks} : il a pu prendre fin ou changer depuis.",
                  "en": "Tied to {marks}: it may have ended or changed since.",
                  "ar": "مرتبط بـ {marks}: ربما انتهى أو تغير منذ ذلك الحين."},
    "aid_why": {"fr": "Pourquoi cette aide", "en": "Why this aid", "ar": "لماذا هذه المساعدة"},
    "aid_words": {"fr": "mots de votre profil", "en": "words of your profile", "ar": "كلمات من ملفك"},
    "why": {"fr": "Pourquoi", "en": "Why", "ar": "السبب"},
    "csv": {"fr": "Télécharger (CSV)", "en": "Download (CSV)", "ar": "تنزيل (CSV)"},
    "not_found": {"fr": "Page introuvable", "en": "Page not found", "ar": "الصفحة غير موجودة"},
    "bad_request": {"fr": "Requête invalide", "en": "Invalid request", "ar": "طلب غير صالح"},
    "server_error": {"fr": "Erreur du serveur", "en": "Server error", "ar": "خطأ في الخادم"},
    "not_found_text": {"fr": "Cette page n'existe pas, ou ce qu'elle montrait a été supprimé.",
                       "en": "This page does not exist, or what it showed has been deleted.",
                       "ar": "هذه الصفحة غير موجودة، أو حُذف ما كانت تعرضه."},
    "bad_request_text": {"fr": "La demande n'a pas pu être traitée telle quelle.",
                         "en": "The request could not be handled as it was.",
                         "ar": "تعذرت معالجة الطلب كما هو."},
    "server_error_text": {"fr": "Une erreur est survenue de notre côté. Réessayez dans un instant.",
                          "en": "Something went wrong on our side. Try again in a moment.",
                          "ar": "حدث خطأ من جهتنا. أعد المحاولة بعد قليل."},
    "technical_detail": {"fr": "Détail technique", "en": "Technical detail", "ar": "تفاصيل تقنية"},
    "back_home": {"fr": "Retour à la discussion", "en": "Back to the chat", "ar": "العودة إلى المحادثة"},
}

SUGGESTIONS: dict[str, list[str]] = {
    "fr": [
        "Qu'est-ce que le Festival Novembre Numérique ?",
        "Quelles aides existent pour le jeu vidéo ?",
        "Comment la feuille de route protège-t-elle les créateurs en ligne ?",
        "Qu'est-ce que la mission prioritaire sur les industries culturelles et créatives ?",
    ],
    "en": [
        "What is the Novembre Numérique festival?",
        "Which grants support video games?",
        "What are the protocols on cultural cooperation in EU trade agreements?",
        "What is the priority mission for cultural and creative industries?",
    ],
    "ar": [
        "ما هو مهرجان نوفمبر الرقمي؟",
        "ما هي جائزة الترجمة التي تمنحها جمعية أهل الأدب؟",
        "ما هي المواسم الثقافية؟",
    ],
}

# Labels of the aid catalogue's facet values (the values themselves stay the API's).
FACET_LABELS: dict[str, dict[str, str]] = {
    "cinema-audiovisual": {"fr": "Cinéma et audiovisuel", "en": "Cinema & audiovisual", "ar": "السينما والسمعي البصري"},
    "video-games": {"fr": "Jeu vidéo", "en": "Video games", "ar": "ألعاب الفيديو"},
    "music": {"fr": "Musique", "en": "Music", "ar": "الموسيقى"},
    "books-press": {"fr": "Livre et presse", "en": "Books & press", "ar": "الكتاب والصحافة"},
    "performing-arts": {"fr": "Spectacle vivant", "en": "Performing arts", "ar": "فنون العرض"},
    "visual-digital-arts": {"fr": "Arts visuels et numériques", "en": "Visual & digital arts",
                            "ar": "الفنون البصرية والرقمية"},
    "heritage-architecture": {"fr": "Patrimoine et architecture", "en": "Heritage & architecture",
                              "ar": "التراث والعمارة"},
    "photography": {"fr": "Photographie", "en": "Photography", "ar": "التصوير الفوتوغرافي"},
    "all-cci": {"fr": "Toutes les ICC", "en": "All cultural & creative industries", "ar": "كل الصناعات الثقافية والإبداعية"},
    "authors-artists": {"fr": "Auteurs et artistes", "en": "Authors & artists", "ar": "المؤلفون والفنانون"},
    "companies-producers": {"fr": "Entreprises et producteurs", "en": "Companies & producers",
                            "ar": "الشركات والمنتجون"},
    "publishers": {"fr": "Éditeurs", "en": "Publishers", "ar": "الناشرون"},
    "venues-institutions": {"fr": "Lieux et institutions culturelles", "en": "Venues & cultural institutions",
                            "ar": "الأماكن والمؤسسات الثقافية"},
    "associations": {"fr": "Associations", "en": "Associations", "ar": "الجمعيات"},
    "start-ups": {"fr": "Start-up", "en": "Start-ups", "ar": "الشركات الناشئة"},
    "foreign-professionals": {"fr": "Professionnels étrangers", "en": "Foreign professionals",
                              "ar": "المهنيون الأجانب"},
    "young-people": {"fr": "Jeunes", "en": "Young people", "ar": "الشباب"},
    "researchers": {"fr": "Chercheurs", "en": "Researchers", "ar": "الباحثون"},
    "general-public": {"fr": "Grand public", "en": "General public", "ar": "عامة الجمهور"},
    "creation": {"fr": "Création", "en": "Creation", "ar": "الإبداع"},
    "production": {"fr": "Production", "en": "Production", "ar": "الإنتاج"},
    "distribution": {"fr": "Diffusion", "en": "Distribution", "ar": "التوزيع"},
    "digitisation": {"fr": "Numérisation", "en": "Digitisation", "ar": "الرقمنة"},
    "export": {"fr": "Export", "en": "Export", "ar": "التصدير"},
    "modernisation": {"fr": "Modernisation", "en": "Modernisation", "ar": "التحديث"},
    "ecological-transition": {"fr": "Transition écologique", "en": "Ecological transition", "ar": "التحول البيئي"},
    "training": {"fr": "Formation", "en": "Training", "ar": "التدريب"},
    "grant": {"fr": "Subvention", "en": "Grant", "ar": "منحة مالية"},
    "call-for-projects": {"fr": "Appel à projets", "en": "Call for projects", "ar": "دعوة لتقديم المشاريع"},
    "call-for-expressions-of-interest": {"fr": "Appel à manifestation d'intérêt",
                                         "en": "Call for expressions of interest", "ar": "دعوة لإبداء الاهتمام"},
    "competition": {"fr": "Concours", "en": "Competition", "ar": "مسابقة"},
    "bursary": {"fr": "Bourse", "en": "Bursary", "ar": "منحة دراسية"},
    "residency": {"fr": "Résidence", "en": "Residency", "ar": "إقامة فنية"},
    "support-programme": {"fr": "Programme d'accompagnement", "en": "Support programme", "ar": "برنامج دعم"},
    "platform-resource": {"fr": "Plateforme ou ressource", "en": "Platform or resource", "ar": "منصة أو مورد"},
}


class Translator:
    """``ui("send")`` in templates; a missing key shows itself rather than failing the page."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        entry = STRINGS.get(key)
        return entry[self.lang] if entry else key

    def facet(self, value: str) -> str:
        entry = FACET_LABELS.get(value)
        return entry[self.lang] if entry else value

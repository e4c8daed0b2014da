/*
 * Kizuna embeddable survey widget (docs/widget.md, ADR 0032).
 *
 *   <script src="https://kizuna.example/static/portal/widget.js" data-key="pk_..."
 *           data-survey="relationship-nps" data-trigger="delay:5" async></script>
 *
 * Plain JavaScript, no dependency, no build step. Safe under a strict Content-Security-Policy:
 * no eval, no inline script or style attribute, no innerHTML; the UI lives in a shadow root
 * styled by a constructed stylesheet (adoptedStyleSheets), so the host's styles do not reach
 * it and its styles do not reach the host. Everything it records goes through the public API
 * with the publishable key: eligibility, displays, evaluate, responses.
 */
(function () {
  "use strict";

  if (window.Kizuna && window.Kizuna.version) {
    return; // loaded twice: the first one serves
  }

  var script = document.currentScript || document.querySelector("script[data-key][src*='widget.js']");
  if (!script) {
    return;
  }
  var config = {
    key: script.getAttribute("data-key") || "",
    survey: script.getAttribute("data-survey") || "",
    customerId: script.getAttribute("data-customer-id") || null,
    trigger: script.getAttribute("data-trigger") || "load",
    lang: script.getAttribute("data-lang") || navigator.language || "en",
    position: script.getAttribute("data-position") === "bottom-left" ? "bottom-left" : "bottom-right",
    api: (script.getAttribute("data-api") || new URL(script.src, location.href).origin).replace(/\/+$/, ""),
  };
  var CHANNEL = "widget";
  var STORE = "kizuna:";
  var CLOSE_TEXT = { en: "Close", ja: "閉じる", ko: "닫기" };
  var SUPPORTED = ["nps", "csat", "ces", "rating", "single_choice", "multiple_choice", "dropdown",
    "text", "boolean", "statement", "consent", "date"];
  var SCALES = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };

  var CSS = [
    ":host{all:initial!important;position:fixed!important;z-index:2147483000!important;",
    "bottom:16px!important;right:16px!important;left:auto!important;top:auto!important;",
    "display:block!important;width:min(380px,calc(100vw - 32px))!important;}",
    ":host(.kz-left){left:16px!important;right:auto!important;}",
    ":host([hidden]){display:none!important;}",
    ".kz{--k-primary:var(--kizuna-primary,var(--kizuna-brand-primary,#2f54d1));",
    "--k-on-primary:var(--kizuna-on-primary,var(--kizuna-brand-on-primary,#ffffff));",
    "--k-bg:var(--kizuna-background,var(--kizuna-brand-background,#ffffff));",
    "--k-text:var(--kizuna-text,var(--kizuna-brand-text,#1d2330));",
    "--k-muted:color-mix(in srgb,var(--k-text) 80%,var(--k-bg));",
    "--k-line:color-mix(in srgb,var(--k-text) 22%,var(--k-bg));",
    "--k-radius:var(--kizuna-radius,12px);",
    "box-sizing:border-box;font-family:var(--kizuna-font,system-ui,-apple-system,'Segoe UI',",
    "'Hiragino Sans','Noto Sans JP','Noto Sans KR',sans-serif);font-size:15px;line-height:1.45;",
    "font-weight:400;color:var(--k-text);background:var(--k-bg);border:1px solid var(--k-line);",
    "border-radius:var(--k-radius);box-shadow:0 12px 32px rgba(0,0,0,.18);padding:16px 16px 14px;",
    "max-height:calc(100vh - 32px);overflow:auto;text-align:start;}",
    ".kz *,.kz *::before,.kz *::after{box-sizing:border-box;font:inherit;color:inherit;}",
    ".kz-head{display:flex;align-items:center;gap:8px;margin:0 0 10px;}",
    ".kz-title{display:block;flex:1;margin:0 0 10px;font-size:16px;font-weight:600;}",
    ".kz-head .kz-title{margin:0;}",
    ".kz-desc{margin:0 0 10px;color:var(--k-muted);}",
    ".kz-close{all:unset;cursor:pointer;width:28px;height:28px;border-radius:6px;display:inline-flex;",
    "align-items:center;justify-content:center;font-size:20px;line-height:1;color:var(--k-muted);}",
    ".kz-close:hover{background:var(--k-line);}",
    ".kz fieldset{border:0;margin:0;padding:0;min-width:0;}",
    ".kz legend{padding:0;margin:0 0 10px;font-size:16px;font-weight:600;}",
    ".kz-scale{display:flex;flex-wrap:wrap;gap:4px;}",
    ".kz-scale label{flex:1 1 0;min-width:0;}",
    ".kz-scale .kz-opt span{padding:6px 0;}",
    ".kz-opt{position:relative;display:block;cursor:pointer;}",
    ".kz-opt input{position:absolute;opacity:0;width:1px;height:1px;margin:0;}",
    ".kz-opt span{display:flex;align-items:center;justify-content:center;min-height:36px;",
    "padding:6px 8px;border:1px solid var(--k-line);border-radius:8px;background:var(--k-bg);}",
    ".kz-opt input:checked+span{background:var(--k-primary);border-color:var(--k-primary);color:var(--k-on-primary);}",
    ".kz-opt input:focus-visible+span{outline:3px solid var(--k-primary);outline-offset:2px;}",
    ".kz-list{display:grid;gap:6px;}",
    ".kz-list .kz-opt span{justify-content:flex-start;}",
    ".kz-ends{display:flex;justify-content:space-between;gap:8px;margin-top:6px;font-size:13px;",
    "color:var(--k-muted);}",
    ".kz-field{display:block;width:100%;padding:8px 10px;border:1px solid var(--k-line);",
    "border-radius:8px;background:var(--k-bg);}",
    ".kz-field:focus-visible{outline:3px solid var(--k-primary);outline-offset:1px;}",
    "textarea.kz-field{min-height:84px;resize:vertical;}",
    ".kz-other{margin-top:6px;}",
    ".kz-check{display:flex;gap:8px;align-items:flex-start;cursor:pointer;}",
    ".kz-check input{width:18px;height:18px;margin:2px 0 0;accent-color:var(--k-primary);}",
    ".kz-error{margin:8px 0 0;color:#b3261e;font-size:14px;}",
    ".kz-foot{display:flex;justify-content:space-between;align-items:center;gap:8px;margin-top:14px;}",
    ".kz-btn{all:unset;cursor:pointer;display:inline-block;padding:8px 16px;border-radius:8px;",
    "background:var(--k-primary);color:var(--k-on-primary);font-weight:600;text-align:center;}",
    ".kz-btn:focus-visible,.kz-close:focus-visible,.kz-link:focus-visible{outline:3px solid var(--k-primary);",
    "outline-offset:2px;}",
    ".kz-btn[disabled]{opacity:.55;cursor:default;}",
    ".kz-back{background:transparent;color:var(--k-text);border:1px solid var(--k-line);}",
    ".kz-link{color:var(--k-primary);text-decoration:underline;}",
    ".kz-progress{flex:1;height:4px;background:var(--k-line);border-radius:2px;overflow:hidden;}",
    ".kz-progress>div{height:100%;width:0;background:var(--k-primary);transition:width .2s;}",
    ".kz-stars .kz-opt span{font-size:20px;}",
  ].join("");

  var state = {
    open: false,
    busy: false,
    surveyId: null,
    host: null,
    root: null,
    panel: null,
    form: null,
    evaluation: null,
    answers: {},
    timeMs: {},
    passed: [],
    current: null,
    shownAt: 0,
    displayId: null,
    submissionId: null,
    returnFocus: null,
    shownThisPage: {},
  };

  // ---- storage (per browser) -------------------------------------------------------------

  function storageGet(name) {
    try {
      var raw = window.localStorage.getItem(STORE + name);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function storageSet(name, value) {
    try {
      window.localStorage.setItem(STORE + name, JSON.stringify(value));
    } catch (e) {
      /* private mode or full: the widget still works for this page */
    }
  }

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  function browserToken() {
    var token = storageGet("browser");
    if (!token) {
      token = randomId();
      storageSet("browser", token);
    }
    return token;
  }

  // ---- API --------------------------------------------------------------------------------

  function call(method, path, body) {
    var init = {
      method: method,
      mode: "cors",
      credentials: "omit",
      headers: { Authorization: "Bearer " + config.key },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(config.api + "/api/v1/surveys/" + encodeURIComponent(state.surveyId) + path, init)
      .then(function (response) {
        return response.json().catch(function () {
          return {};
        }).then(function (data) {
          return { status: response.status, data: data };
        });
      });
  }

  function withCustomer(body) {
    if (config.customerId) {
      body.customer_id = config.customerId;
    }
    return body;
  }

  // A customer the workspace does not know yet is answered as anonymous.
  function unknownCustomer(result) {
    return result.status === 404 && result.data && result.data.field === "customer_id" && config.customerId;
  }

  function callAsCustomer(path, makeBody) {
    return call("POST", path, withCustomer(makeBody())).then(function (result) {
      if (unknownCustomer(result)) {
        return call("POST", path, makeBody());
      }
      return result;
    });
  }

  // null: show; else why not (the server's reason: not_active, not_targeted, answered,
  // recontact, cooldown).
  function eligible() {
    return callAsCustomer("/eligibility", function () {
      return { channel: CHANNEL, browser_token: browserToken(), language: config.lang };
    }).then(function (result) {
      if (result.status === 200) {
        return result.data.show === false ? result.data.reason || "not_eligible" : null;
      }
      // A server without the eligibility endpoint: the display's own checks decide.
      return result.status === 404 && result.data.code !== "survey_not_found" ? null : "error";
    }, function () {
      return null; // unreachable: the calls that follow decide
    });
  }

  function evaluate() {
    return callAsCustomer("/evaluate", function () {
      return { answers: state.answers, language: config.lang };
    }).then(function (result) {
      if (result.status !== 200) {
        throw new Error("evaluate: " + result.status);
      }
      state.evaluation = result.data;
      return result.data;
    });
  }

  function save(finished) {
    return callAsCustomer("/responses", function () {
      return {
        submission_id: state.submissionId,
        display_id: state.displayId,
        language: state.evaluation ? state.evaluation.language : config.lang,
        answers: state.answers,
        time_ms: state.timeMs,
        finished: finished,
        browser_token: browserToken(),
        meta: { channel: CHANNEL, device: device() },
      };
    }).then(function (result) {
      remember();
      return result;
    });
  }

  function device() {
    var width = Math.min(window.screen.width, window.innerWidth || window.screen.width);
    if (width < 640) return "mobile";
    if (width < 1024) return "tablet";
    return "desktop";
  }

  function remember() {
    storageSet("survey:" + state.surveyId, {
      submission_id: state.submissionId,
      display_id: state.displayId,
      answers: state.answers,
      time_ms: state.timeMs,
      passed: state.passed,
    });
  }

  // ---- showing ----------------------------------------------------------------------------

  function show(surveyId) {
    surveyId = surveyId || config.survey;
    if (!surveyId || !config.key || state.open || state.busy) {
      return Promise.resolve(false);
    }
    if (storageGet("done:" + surveyId) || state.shownThisPage[surveyId]) {
      return Promise.resolve(announce(surveyId, "answered"));
    }
    if (!window.ShadowRoot || !("adoptedStyleSheets" in Document.prototype)) {
      return Promise.resolve(announce(surveyId, "unsupported")); // cannot isolate: stay out
    }
    state.busy = true;
    state.surveyId = surveyId;
    var saved = storageGet("survey:" + surveyId) || {};
    return eligible()
      .then(function (refusal) {
        if (refusal) return refusal;
        return call("GET", "/form").then(function (result) {
          if (result.status !== 200) return "error";
          if (result.data.status !== "active") return "not_active";
          state.form = result.data;
          return callAsCustomer("/displays", function () {
            return { channel: CHANNEL, browser_token: browserToken() };
          }).then(function (display) {
            if (display.status !== 201 || !display.data.id) {
              // {id: null, throttled: true}: the fatigue rules dropped this display.
              return display.data.throttled ? display.data.reason || "throttled" : "error";
            }
            state.displayId = display.data.id;
            state.submissionId = saved.submission_id || randomId();
            state.answers = saved.answers || {};
            state.timeMs = saved.time_ms || {};
            state.passed = saved.passed || [];
            return evaluate().then(function () {
              state.shownThisPage[surveyId] = true;
              openPanel();
              render();
              return null;
            });
          });
        });
      })
      .catch(function (error) {
        if (window.console) console.warn("Kizuna widget:", error);
        return "error";
      })
      .then(function (refusal) {
        state.busy = false;
        return announce(surveyId, refusal);
      });
  }

  // For the host's own code (and tests), as a window event: whether a survey was shown, and
  // if not, why. Returns whether it was shown.
  function announce(surveyId, refusal) {
    var detail = { survey: surveyId, shown: !refusal, reason: refusal || null };
    window.dispatchEvent(new CustomEvent("kizuna:result", { detail: detail }));
    return !refusal;
  }

  function openPanel() {
    state.returnFocus = document.activeElement;
    var host = document.createElement("kizuna-widget");
    if (config.position === "bottom-left") host.classList.add("kz-left");
    var root = host.attachShadow({ mode: "open" });
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    var panel = el("section", "kz");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", "kz-heading");
    var branding = (state.form && state.form.branding) || {};
    if (/^#[0-9a-fA-F]{6}$/.test(branding.primary || "")) {
      // Set through the CSSOM (allowed by a strict style-src, unlike a style attribute).
      panel.style.setProperty("--kizuna-brand-primary", branding.primary);
      panel.style.setProperty("--kizuna-brand-on-primary", textOn(branding.primary));
    }
    root.appendChild(panel);
    panel.addEventListener("keydown", onKeydown);
    document.body.appendChild(host);
    state.host = host;
    state.root = root;
    state.panel = panel;
    state.open = true;
  }

  // White or near-black text on a colour, whichever contrasts more (WCAG 2 luminance).
  function textOn(color) {
    var luminance = [1, 3, 5].map(function (i) {
      var c = parseInt(color.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * luminance[0] + 0.7152 * luminance[1] + 0.0722 * luminance[2];
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.0552) ? "#ffffff" : "#111111";
  }

  function close() {
    if (!state.open) return;
    if (state.host && state.host.parentNode) state.host.parentNode.removeChild(state.host);
    state.open = false;
    state.host = state.root = state.panel = null;
    var back = state.returnFocus;
    if (back && typeof back.focus === "function" && document.contains(back)) back.focus();
  }

  function onKeydown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    var focusable = Array.prototype.filter.call(
      state.panel.querySelectorAll("button,input,select,textarea,a[href]"),
      function (node) {
        return !node.disabled && node.getClientRects().length > 0 && !(node.type === "radio" && !node.checked && groupHasChecked(node));
      }
    );
    if (!focusable.length) return;
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    var active = state.root.activeElement;
    if (event.shiftKey && (active === first || !state.panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !state.panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  function groupHasChecked(radio) {
    var group = state.panel.querySelectorAll("input[type=radio]");
    return Array.prototype.some.call(group, function (node) {
      return node.name === radio.name && node.checked;
    });
  }

  // ---- rendering --------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function ui(name) {
    var texts = (state.evaluation && state.evaluation.ui) || {};
    return texts[name] || name;
  }

  function closeText() {
    var language = (state.evaluation && state.evaluation.ui_language) || "en";
    return CLOSE_TEXT[language] || CLOSE_TEXT.en;
  }

  function nextElement() {
    var visible = state.evaluation.visible_elements || [];
    for (var i = 0; i < visible.length; i++) {
      if (state.passed.indexOf(visible[i]) === -1 && state.form.elements[visible[i]]) return visible[i];
    }
    return null;
  }

  function render(errorsFor) {
    var panel = state.panel;
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    var id = nextElement();
    state.current = id;
    if (id === null) {
      finish();
      return;
    }
    var visible = state.evaluation.visible_elements.filter(function (key) {
      return state.form.elements[key];
    });
    var shape = state.form.elements[id];
    var texts = (state.evaluation.texts || {})[id] || { title: "" };
    var index = Math.max(0, visible.indexOf(id));
    var head = el("div", "kz-head");
    var progress = el("div", "kz-progress");
    progress.setAttribute("role", "progressbar");
    progress.setAttribute("aria-valuemin", "1");
    progress.setAttribute("aria-valuemax", String(visible.length));
    progress.setAttribute("aria-valuenow", String(index + 1));
    progress.setAttribute("aria-label", index + 1 + " / " + visible.length);
    var bar = el("div");
    bar.style.setProperty("width", Math.round((100 * (index + 1)) / visible.length) + "%");
    progress.appendChild(bar);
    var closeButton = el("button", "kz-close", "×");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", closeText());
    closeButton.addEventListener("click", close);
    head.appendChild(progress);
    head.appendChild(closeButton);
    panel.appendChild(head);

    var form = el("form", "kz-form");
    form.noValidate = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      next();
    });
    var body = renderElement(id, shape, texts);
    // The question's title names the dialog.
    var title = body.querySelector("legend, .kz-title");
    if (title) title.id = "kz-heading";
    form.appendChild(body);
    var errors = errorsFor ? ((state.evaluation.messages || {})[id] || []) : [];
    if (errors.length) {
      var message = el("p", "kz-error", errors.join(" "));
      message.id = "kz-error";
      message.setAttribute("role", "alert");
      form.appendChild(message);
      var described = form.querySelectorAll("input,select,textarea");
      Array.prototype.forEach.call(described, function (node) {
        node.setAttribute("aria-describedby", "kz-error");
        node.setAttribute("aria-invalid", "true");
      });
    }
    var foot = el("div", "kz-foot");
    if (state.passed.length) {
      var backButton = el("button", "kz-btn kz-back", ui("back"));
      backButton.type = "button";
      backButton.addEventListener("click", back);
      foot.appendChild(backButton);
    } else {
      foot.appendChild(el("span"));
    }
    var last = visible.indexOf(id) === visible.length - 1;
    var submit = el("button", "kz-btn kz-next", last ? ui("submit") : ui("next"));
    submit.type = "submit";
    foot.appendChild(submit);
    form.appendChild(foot);
    panel.appendChild(form);
    state.shownAt = performance.now();
    var focusTarget = form.querySelector("input:checked,input,select,textarea") || submit;
    focusTarget.focus();
  }

  function setAnswer(id, value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) {
      delete state.answers[id];
    } else {
      state.answers[id] = value;
    }
  }

  function legendFieldset(texts) {
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", "kz-legend", texts.title));
    if (texts.description) fieldset.appendChild(el("p", "kz-desc", texts.description));
    return fieldset;
  }

  function option(type, name, value, text, checked, onChange) {
    var label = el("label", "kz-opt");
    var input = el("input");
    input.type = type;
    input.name = name;
    input.value = String(value);
    input.checked = checked;
    input.addEventListener("change", onChange);
    label.appendChild(input);
    label.appendChild(el("span", null, text));
    return label;
  }

  function renderElement(id, shape, texts) {
    var labels = texts.labels || {};
    var answer = state.answers[id];
    var type = shape.type;
    if (SUPPORTED.indexOf(type) === -1) {
      var box = legendFieldset(texts);
      if (state.form.hosted_url) {
        var link = el("a", "kz-link", ui("next"));
        link.href = state.form.hosted_url;
        link.target = "_blank";
        link.rel = "noopener";
        box.appendChild(link);
      }
      return box;
    }
    if (SCALES[type] || type === "rating") {
      var range = SCALES[type] || [1, shape.points || 5];
      var fieldset = legendFieldset(texts);
      var scale = el("div", "kz-scale" + (shape.display === "stars" ? " kz-stars" : ""));
      for (var n = range[0]; n <= range[1]; n++) {
        var text = shape.display === "stars" ? "★" : String(n);
        var opt = option("radio", "kz-" + id, n, text, answer === n, function (event) {
          setAnswer(id, Number(event.target.value));
        });
        if (shape.display === "stars") opt.firstChild.setAttribute("aria-label", String(n));
        scale.appendChild(opt);
      }
      fieldset.appendChild(scale);
      if (labels.min_label || labels.max_label) {
        var ends = el("div", "kz-ends");
        ends.appendChild(el("span", null, labels.min_label || ""));
        ends.appendChild(el("span", null, labels.max_label || ""));
        fieldset.appendChild(ends);
      }
      return fieldset;
    }
    if (type === "single_choice" || type === "multiple_choice") {
      var many = type === "multiple_choice";
      var group = legendFieldset(texts);
      var list = el("div", "kz-list");
      var choices = (state.evaluation.visible_choices || {})[id] || [];
      var names = texts.choices || {};
      var otherInput = null;
      choices.forEach(function (choice) {
        var checked = many ? Array.isArray(answer) && answer.indexOf(choice) !== -1 : answer === choice;
        list.appendChild(option(many ? "checkbox" : "radio", "kz-" + id, choice, names[choice] || choice, checked, function () {
          var picked = Array.prototype.filter.call(list.querySelectorAll("input"), function (node) {
            return node.checked;
          }).map(function (node) {
            return node.value;
          });
          setAnswer(id, many ? picked : picked[0]);
          if (otherInput) otherInput.hidden = picked.indexOf("other") === -1;
        }));
      });
      group.appendChild(list);
      if (choices.indexOf("other") !== -1) {
        otherInput = otherField(id, labels, answer, many);
        group.appendChild(otherInput);
      }
      return group;
    }
    if (type === "dropdown") {
      var wrap = el("div");
      var label = el("label", "kz-legend-label");
      label.appendChild(el("span", "kz-title", texts.title));
      wrap.appendChild(label);
      var select = el("select", "kz-field");
      select.id = "kz-input";
      label.htmlFor = "kz-input";
      var placeholder = el("option", null, labels.placeholder || ui("select"));
      placeholder.value = "";
      select.appendChild(placeholder);
      var dropdownNames = texts.choices || {};
      ((state.evaluation.visible_choices || {})[id] || []).forEach(function (choice) {
        var item = el("option", null, dropdownNames[choice] || choice);
        item.value = choice;
        item.selected = answer === choice;
        select.appendChild(item);
      });
      var dropdownOther = null;
      select.addEventListener("change", function () {
        setAnswer(id, select.value);
        if (dropdownOther) dropdownOther.hidden = select.value !== "other";
      });
      if (texts.description) wrap.appendChild(el("p", "kz-desc", texts.description));
      wrap.appendChild(select);
      if (((state.evaluation.visible_choices || {})[id] || []).indexOf("other") !== -1) {
        dropdownOther = otherField(id, labels, answer, false);
        wrap.appendChild(dropdownOther);
      }
      return wrap;
    }
    if (type === "text" || type === "date") {
      var textWrap = el("div");
      var textLabel = el("label", "kz-title", texts.title);
      textLabel.htmlFor = "kz-input";
      textWrap.appendChild(textLabel);
      if (texts.description) textWrap.appendChild(el("p", "kz-desc", texts.description));
      var input = el(shape.multiline ? "textarea" : "input", "kz-field");
      input.id = "kz-input";
      if (!shape.multiline) {
        var format = (shape.validation || {}).format;
        input.type = type === "date" ? "date" : format === "email" ? "email" : format === "url" ? "url" : "text";
      }
      var maxLength = (shape.validation || {}).max_length;
      if (maxLength) input.maxLength = maxLength;
      if (labels.placeholder) input.placeholder = labels.placeholder;
      input.value = typeof answer === "string" ? answer : "";
      input.addEventListener("input", function () {
        setAnswer(id, input.value);
      });
      textWrap.appendChild(input);
      return textWrap;
    }
    if (type === "boolean") {
      var yesNo = legendFieldset(texts);
      var pair = el("div", "kz-scale");
      [[true, labels.true_text || ui("yes")], [false, labels.false_text || ui("no")]].forEach(function (item) {
        pair.appendChild(option("radio", "kz-" + id, String(item[0]), item[1], answer === item[0], function (event) {
          setAnswer(id, event.target.value === "true");
        }));
      });
      yesNo.appendChild(pair);
      return yesNo;
    }
    if (type === "consent") {
      var consent = el("div");
      consent.appendChild(el("p", "kz-title", texts.title));
      if (texts.description) consent.appendChild(el("p", "kz-desc", texts.description));
      var check = el("label", "kz-check");
      var box2 = el("input");
      box2.type = "checkbox";
      box2.checked = answer === true;
      box2.addEventListener("change", function () {
        setAnswer(id, box2.checked ? true : null);
      });
      check.appendChild(box2);
      check.appendChild(el("span", null, labels.label || texts.title));
      consent.appendChild(check);
      return consent;
    }
    // statement
    var statement = el("div");
    statement.appendChild(el("p", "kz-title", texts.title));
    if (texts.description) statement.appendChild(el("p", "kz-desc", texts.description));
    if (shape.button_url && /^https?:\/\//.test(shape.button_url)) {
      var action = el("a", "kz-link", labels.button_text || shape.button_url);
      action.href = shape.button_url;
      action.target = "_blank";
      action.rel = "noopener";
      statement.appendChild(action);
    }
    return statement;
  }

  function otherField(id, labels, answer, many) {
    var key = id + "#other";
    var input = el("input", "kz-field kz-other");
    input.type = "text";
    input.setAttribute("aria-label", labels.other_text || ui("other"));
    input.placeholder = labels.other_text || ui("other");
    input.value = typeof state.answers[key] === "string" ? state.answers[key] : "";
    input.hidden = many ? !(Array.isArray(answer) && answer.indexOf("other") !== -1) : answer !== "other";
    input.addEventListener("input", function () {
      setAnswer(key, input.value);
    });
    return input;
  }

  function spend() {
    if (state.current === null) return;
    var spent = Math.max(0, Math.round(performance.now() - state.shownAt));
    state.timeMs[state.current] = (state.timeMs[state.current] || 0) + spent;
    state.shownAt = performance.now();
  }

  function lock(busy) {
    state.busy = busy;
    if (!state.panel) return;
    Array.prototype.forEach.call(state.panel.querySelectorAll(".kz-btn"), function (button) {
      button.disabled = busy;
    });
  }

  function next() {
    if (state.busy || state.current === null) return;
    var id = state.current;
    spend();
    lock(true);
    evaluate()
      .then(function (evaluation) {
        if ((evaluation.errors || {})[id] && (evaluation.errors[id] || []).length) {
          render(true);
          return null;
        }
        state.passed.push(id);
        var more = nextElement() !== null;
        return save(!more).then(function (result) {
          if (result.status === 409) {
            // Answered already from this browser, or the survey stopped: nothing more to ask.
            storageSet("done:" + state.surveyId, true);
            close();
            return;
          }
          if (result.status >= 400) {
            state.passed.pop(); // not saved: the visitor stays on this question
            throw new Error("responses: " + result.status);
          }
          if (more) {
            render();
          } else {
            finish(result.data);
          }
        });
      })
      .catch(function (error) {
        if (window.console) console.warn("Kizuna widget:", error);
      })
      .finally(function () {
        lock(false);
      });
  }

  function back() {
    if (state.busy || !state.passed.length) return;
    spend();
    state.passed.pop();
    render();
  }

  function finish(response) {
    storageSet("done:" + state.surveyId, true);
    var panel = state.panel;
    if (!panel) return;
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    var endingId = (response && response.ending) || state.evaluation.ending;
    var ending = endingId ? (state.evaluation.endings || {})[endingId] : null;
    var head = el("div", "kz-head");
    var heading = el("p", "kz-title kz-ending", (ending && ending.title) || ui("thank_you"));
    heading.id = "kz-heading";
    heading.setAttribute("role", "status");
    var closeButton = el("button", "kz-close", "×");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", closeText());
    closeButton.addEventListener("click", close);
    head.appendChild(heading);
    head.appendChild(closeButton);
    panel.appendChild(head);
    if (ending && ending.text) panel.appendChild(el("p", "kz-desc", ending.text));
    state.current = null;
    closeButton.focus();
  }

  // ---- triggers and the public API ---------------------------------------------------------

  function parseTrigger(trigger) {
    var parts = String(trigger).split(":");
    return { kind: parts[0], value: parts.slice(1).join(":") };
  }

  var trigger = parseTrigger(config.trigger);

  function start() {
    if (!config.survey) return;
    if (trigger.kind === "load") {
      show();
    } else if (trigger.kind === "delay") {
      var seconds = Math.max(0, Number(trigger.value) || 0);
      window.setTimeout(show, seconds * 1000);
    }
  }

  var api = {
    version: "1",
    show: function (surveyId) {
      return show(surveyId);
    },
    hide: close,
    track: function (eventName) {
      if (trigger.kind === "event" && trigger.value === String(eventName)) {
        return show();
      }
      return Promise.resolve(false);
    },
    identify: function (customerId) {
      config.customerId = customerId ? String(customerId) : null;
    },
  };

  var queued = window.Kizuna && Array.isArray(window.Kizuna.q) ? window.Kizuna.q : [];
  window.Kizuna = api;
  queued.forEach(function (entry) {
    var name = entry && entry[0];
    if (typeof api[name] === "function") api[name].apply(null, Array.prototype.slice.call(entry, 1));
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.dispatchEvent(new CustomEvent("kizuna:ready"));
})();

// The admin screen: signs in to Cognito from the browser and edits the catalogue through /api/admin/*.
// No build step and no inline code (the page runs under a CSP without 'unsafe-inline').
//
// Sign-in calls Cognito's JSON API directly (InitiateAuth with USER_PASSWORD_AUTH, then whatever
// challenge the pool raises: NEW_PASSWORD_REQUIRED, MFA_SETUP, SOFTWARE_TOKEN_MFA). The password goes
// only to Cognito, over TLS. Tokens live in sessionStorage: they end with the tab and are never shared
// with other tabs or written to disk by us. The same code runs against AWS and the local emulator:
// /admin/config.json says where Cognito is.
"use strict";

const TOKENS_KEY = "webstack.admin.tokens";
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];
// Refresh the access token this long before it expires, so a request never leaves with a stale one.
const REFRESH_MARGIN_MS = 60 * 1000;

const yen = new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" });

const FIELD_MESSAGES = {
  title: "商品名は1〜100文字で入力してください（空白だけ・制御文字は使えません）。",
  description: "説明は1000文字以内で入力してください（改行とタブ以外の制御文字は使えません）。",
  price: "価格は0〜99,999,999の整数（円）で入力してください。",
};

const COGNITO_MESSAGES = {
  NotAuthorizedException: "ユーザー名またはパスワードが違います。",
  UserNotFoundException: "ユーザー名またはパスワードが違います。",
  PasswordResetRequiredException: "パスワードのリセットが必要です。管理者に連絡してください。",
  UserNotConfirmedException: "このアカウントはまだ有効になっていません。管理者に連絡してください。",
  InvalidPasswordException: "パスワードが条件を満たしていません（14文字以上で、英大文字・英小文字・数字・記号をそれぞれ含む）。",
  CodeMismatchException: "確認コードが違います。認証アプリの最新のコードを入力してください。",
  EnableSoftwareTokenMFAException: "確認コードが違います。認証アプリの最新のコードを入力してください。",
  ExpiredCodeException: "確認コードの有効期限が切れました。新しいコードを入力してください。",
  TooManyRequestsException: "試行回数が多すぎます。しばらくしてからもう一度お試しください。",
  LimitExceededException: "試行回数が多すぎます。しばらくしてからもう一度お試しください。",
  NetworkError: "認証サーバーに接続できません。ネットワークを確認してください。",
};

const state = {
  config: null,
  challenge: null, // {name, session, username} while Cognito waits for an answer
  items: [],
  editing: null, // {id, version} of the item in the editor; null for a new one
  previewUrl: null,
  refreshing: null,
};

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatPrice(price) {
  return typeof price === "number" && Number.isFinite(price) ? yen.format(price) : "価格未定";
}

// --- Screens ---------------------------------------------------------------------------------------

const SCREENS = ["sign-in", "new-password", "mfa-setup", "mfa", "catalogue", "editor"];

function show(screen) {
  for (const id of SCREENS) $(id).hidden = id !== screen;
  $("status").hidden = true;
  $("error").hidden = true;
  const signedIn = Boolean(loadTokens());
  $("sign-out").hidden = !signedIn;
  $("who").hidden = !signedIn;
  $("who").textContent = signedIn ? loadTokens().username : "";
  const focus = { "sign-in": "username", "new-password": "new-password-input", "mfa-setup": "mfa-setup-code", mfa: "mfa-code" }[screen];
  if (focus) $(focus).focus();
}

function showFatal(message) {
  for (const id of SCREENS) $(id).hidden = true;
  $("status").hidden = true;
  $("error-message").textContent = message;
  $("error").hidden = false;
}

function setMessage(id, message) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
}

function busy(form, isBusy) {
  form.setAttribute("aria-busy", String(isBusy));
  for (const control of form.querySelectorAll("button, input, textarea")) control.disabled = isBusy;
}

// --- Cognito ---------------------------------------------------------------------------------------

class CognitoError extends Error {
  constructor(type, message) {
    super(message || type);
    this.type = type;
  }
}

async function cognito(action, payload) {
  let response;
  try {
    response = await fetch(state.config.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(payload),
      credentials: "omit",
    });
  } catch (_) {
    throw new CognitoError("NetworkError");
  }
  let data = {};
  try {
    data = await response.json();
  } catch (_) {
    // an empty or non-JSON answer: judged by the status alone
  }
  if (!response.ok) {
    // "__type" is "NotAuthorizedException" or "com.amazonaws...#NotAuthorizedException".
    const type = String(data.__type || data.code || "UnknownError").split("#").pop();
    throw new CognitoError(type, data.message);
  }
  return data;
}

// Cognito's answer once a sign-in conversation's session has run out: the user starts over.
function sessionTimedOut(error) {
  return error instanceof CognitoError && error.type === "NotAuthorizedException" && /session/i.test(error.message);
}

function cognitoMessage(error) {
  if (error instanceof CognitoError) {
    if (error.type === "NotAuthorizedException" && /attempts exceeded/i.test(error.message)) {
      return COGNITO_MESSAGES.TooManyRequestsException;
    }
    if (sessionTimedOut(error)) {
      return "時間切れになりました。はじめからサインインしてください。";
    }
    return COGNITO_MESSAGES[error.type] || `サインインできませんでした（${error.type}）。`;
  }
  return `${error.message}。`;
}

function loadTokens() {
  try {
    const tokens = JSON.parse(sessionStorage.getItem(TOKENS_KEY) || "null");
    return tokens && tokens.accessToken ? tokens : null;
  } catch (_) {
    return null;
  }
}

function saveTokens(result, username, previous) {
  sessionStorage.setItem(
    TOKENS_KEY,
    JSON.stringify({
      accessToken: result.AccessToken,
      // A refresh answers no new refresh token: keep the one we have.
      refreshToken: result.RefreshToken || (previous && previous.refreshToken) || null,
      expiresAt: Date.now() + (Number(result.ExpiresIn) || 3600) * 1000,
      username,
    }),
  );
}

function clearTokens() {
  sessionStorage.removeItem(TOKENS_KEY);
}

async function signIn(username, password) {
  const data = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: state.config.clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  await afterAuthStep(data, username);
}

async function respond(name, responses, session) {
  const challenge = state.challenge;
  const data = await cognito("RespondToAuthChallenge", {
    ChallengeName: name,
    ClientId: state.config.clientId,
    Session: session || challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, ...responses },
  });
  await afterAuthStep(data, challenge.username);
}

// One step of the sign-in conversation: tokens (done), or the next challenge to show.
async function afterAuthStep(data, username) {
  if (data.AuthenticationResult) {
    const setUpMfa = state.challenge && state.challenge.name === "MFA_SETUP";
    state.challenge = null;
    saveTokens(data.AuthenticationResult, username);
    if (setUpMfa) await preferTotp();
    $("sign-in-form").reset();
    await showCatalogue();
    return;
  }
  const parameters = data.ChallengeParameters || {};
  state.challenge = {
    name: data.ChallengeName,
    session: data.Session,
    // Cognito names the user as it knows it (it may differ from what was typed, e.g. its case).
    username: parameters.USER_ID_FOR_SRP || parameters.USERNAME || username,
  };
  switch (data.ChallengeName) {
    case "NEW_PASSWORD_REQUIRED":
      $("new-password-form").reset();
      setMessage("new-password-error", "");
      show("new-password");
      break;
    case "SOFTWARE_TOKEN_MFA":
      $("mfa-form").reset();
      setMessage("mfa-error", "");
      show("mfa");
      break;
    case "MFA_SETUP":
      await startMfaSetup();
      break;
    default:
      state.challenge = null;
      show("sign-in");
      setMessage("sign-in-error", `この認証方式（${data.ChallengeName}）には対応していません。管理者に連絡してください。`);
  }
}

async function startMfaSetup() {
  const association = await cognito("AssociateSoftwareToken", { Session: state.challenge.session });
  state.challenge.session = association.Session || state.challenge.session;
  const secret = association.SecretCode;
  const label = encodeURIComponent(`webstack:${state.challenge.username}`);
  $("mfa-secret").textContent = secret.replace(/(.{4})/g, "$1 ").trim();
  $("mfa-uri").textContent = `otpauth://totp/${label}?secret=${secret}&issuer=webstack`;
  $("mfa-setup-form").reset();
  setMessage("mfa-setup-error", "");
  show("mfa-setup");
}

async function finishMfaSetup(code) {
  const verified = await cognito("VerifySoftwareToken", {
    Session: state.challenge.session,
    UserCode: code,
    FriendlyDeviceName: "webstack-admin",
  });
  if (verified.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException");
  await respond("MFA_SETUP", {}, verified.Session);
}

async function preferTotp() {
  // Makes the new authenticator the user's MFA method explicitly; sign-in works without it in a pool
  // that requires MFA, so a failure here is only logged.
  try {
    await cognito("SetUserMFAPreference", {
      AccessToken: loadTokens().accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
  } catch (error) {
    console.warn("SetUserMFAPreference failed", error.type);
  }
}

async function refreshTokens() {
  const tokens = loadTokens();
  if (!tokens || !tokens.refreshToken) return false;
  if (!state.refreshing) {
    state.refreshing = cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: state.config.clientId,
      AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
    })
      .then((data) => {
        saveTokens(data.AuthenticationResult, tokens.username, tokens);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        state.refreshing = null;
      });
  }
  return state.refreshing;
}

async function signOut() {
  const tokens = loadTokens();
  clearTokens();
  closeEditor();
  if (tokens) {
    try {
      // Revokes this user's refresh tokens; access tokens already issued expire on their own.
      await cognito("GlobalSignOut", { AccessToken: tokens.accessToken });
    } catch (_) {
      // signed out here either way: nothing is left in this tab
    }
  }
  showSignIn("サインアウトしました。");
}

function showSignIn(notice) {
  state.challenge = null;
  show("sign-in");
  setMessage("sign-in-notice", notice || "");
  setMessage("sign-in-error", "");
}

// --- Admin API -------------------------------------------------------------------------------------

class SessionExpired extends Error {}

class ApiFailure extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.fields = error.fields || {};
  }
}

async function api(path, { method = "GET", headers = {}, body } = {}, retried = false) {
  let tokens = loadTokens();
  if (tokens && tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
    await refreshTokens();
    tokens = loadTokens();
  }
  if (!tokens) throw new SessionExpired();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: "application/json", ...headers, Authorization: `Bearer ${tokens.accessToken}` },
      body,
      credentials: "omit",
    });
  } catch (_) {
    throw new ApiFailure(0, { error: { message: "サーバーに接続できません" } });
  }
  if (response.status === 401) {
    // An expired or revoked access token: one refresh, one retry, then the sign-in screen.
    if (!retried && (await refreshTokens())) return api(path, { method, headers, body }, true);
    clearTokens();
    throw new SessionExpired();
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    // not JSON: the status says enough
  }
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

function handleApiError(error, where) {
  if (error instanceof SessionExpired) {
    closeEditor();
    showSignIn("セッションの有効期限が切れました。もう一度サインインしてください。");
    return true;
  }
  if (error instanceof ApiFailure && error.status === 403) {
    closeEditor();
    showFatal("このアカウントには管理者の権限がありません。管理者のアカウントでサインインし直してください。");
    $("sign-out").hidden = false;
    return true;
  }
  if (where) setMessage(where, describeFailure(error));
  return false;
}

function describeFailure(error) {
  if (error instanceof ApiFailure) {
    if (error.status === 503) return "サーバーが混み合っているか一時的に使えません。しばらくしてからもう一度お試しください。";
    if (error.status === 0) return "サーバーに接続できません。ネットワークを確認してください。";
    return `処理できませんでした（${error.message}）。`;
  }
  return `処理できませんでした（${error.message}）。`;
}

// --- The list --------------------------------------------------------------------------------------

async function showCatalogue(notice) {
  show("catalogue");
  setMessage("notice", "");
  await loadItems();
  // Said once the list shows the change.
  if (notice) setMessage("notice", notice);
}

async function loadItems() {
  const list = $("items");
  setMessage("list-status", "読み込み中…");
  list.setAttribute("aria-busy", "true");
  try {
    state.items = await api("/api/admin/items");
    list.replaceChildren(...state.items.map(renderItem));
    setMessage("list-status", state.items.length ? "" : "商品はまだありません。");
  } catch (error) {
    list.replaceChildren();
    setMessage("list-status", "");
    if (!handleApiError(error)) {
      showFatal(`商品を読み込めませんでした（${error.message}）。`);
      $("sign-out").hidden = !loadTokens();
    }
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

function renderItem(item) {
  const row = element("li", "admin-item");
  row.dataset.id = item.id;
  if (item.imageUrl) {
    const img = element("img", "thumb");
    img.src = item.imageUrl;
    img.alt = "";
    img.width = 96;
    img.height = 72;
    img.addEventListener("error", () => img.replaceWith(element("div", "thumb no-image", "画像なし")));
    row.append(img);
  } else {
    row.append(element("div", "thumb no-image", "画像なし"));
  }
  const body = element("div", "body");
  body.append(element("h3", "title", item.title), element("p", "price", formatPrice(item.price)));
  const actions = element("div", "row-actions");
  const edit = element("button", "secondary edit", "編集");
  edit.type = "button";
  edit.addEventListener("click", () => openEditor(item));
  const remove = element("button", "danger delete", "削除");
  remove.type = "button";
  remove.addEventListener("click", () => confirmDelete(item));
  actions.append(edit, remove);
  row.append(body, actions);
  return row;
}

function confirmDelete(item) {
  const dialog = $("confirm-delete");
  $("confirm-delete-message").textContent = `「${item.title}」を削除しますか？ 画像も削除され、元に戻せません。`;
  dialog.returnValue = "";
  dialog.onclose = () => {
    if (dialog.returnValue === "delete") deleteItem(item);
  };
  dialog.showModal();
}

async function deleteItem(item) {
  setMessage("notice", "");
  setMessage("list-status", "削除しています…");
  try {
    await api(`/api/admin/items/${encodeURIComponent(item.id)}`, {
      method: "DELETE",
      headers: { "If-Match": `"${item.version}"` },
    });
    await loadItems();
    setMessage("notice", `「${item.title}」を削除しました。`);
  } catch (error) {
    if (handleApiError(error)) return;
    await loadItems();
    if (error instanceof ApiFailure && error.status === 409) {
      setMessage("notice", `「${item.title}」はほかの画面で更新されていたため、削除しませんでした。最新の内容を確かめてから、もう一度削除してください。`);
    } else if (error instanceof ApiFailure && error.status === 404) {
      setMessage("notice", `「${item.title}」はすでに削除されています。`);
    } else {
      setMessage("notice", describeFailure(error));
    }
  }
}

// --- The editor ------------------------------------------------------------------------------------

function clearFieldErrors() {
  for (const field of ["title", "price", "description", "image"]) {
    setMessage(`${field}-error`, "");
    $(field).removeAttribute("aria-invalid");
  }
  setMessage("form-error", "");
  $("conflict").hidden = true;
}

function fieldError(field, message) {
  setMessage(`${field}-error`, message);
  $(field).setAttribute("aria-invalid", "true");
}

function fillForm(item) {
  $("title").value = item ? item.title : "";
  $("price").value = item && typeof item.price === "number" ? String(item.price) : "";
  $("description").value = item ? item.description : "";
  const current = $("current-image");
  if (item && item.imageUrl) {
    current.src = item.imageUrl;
    current.hidden = false;
  } else {
    current.removeAttribute("src");
    current.hidden = true;
  }
}

function openEditor(item) {
  state.editing = item ? { id: item.id, version: item.version } : null;
  $("editor-heading").textContent = item ? `「${item.title}」を編集` : "商品を追加";
  $("item-form").reset();
  setPreview(null);
  clearFieldErrors();
  fillForm(item);
  show("editor");
  $("title").focus();
}

function closeEditor() {
  state.editing = null;
  setPreview(null);
  $("item-form").reset();
}

function setPreview(file) {
  if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
  state.previewUrl = file ? URL.createObjectURL(file) : null;
  const preview = $("preview");
  if (state.previewUrl) {
    preview.src = state.previewUrl;
    preview.hidden = false;
  } else {
    preview.removeAttribute("src");
    preview.hidden = true;
  }
}

function chosenImage() {
  const file = $("image").files[0];
  if (!file) return null;
  if (!IMAGE_TYPES.includes(file.type)) {
    fieldError("image", "JPEG・PNG・WebP のいずれかの画像を選んでください。");
    return undefined;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    fieldError("image", "画像は10 MB以下にしてください。");
    return undefined;
  }
  return file;
}

function readForm() {
  const rawPrice = $("price").value.trim();
  return {
    title: $("title").value,
    description: $("description").value,
    // Sent as typed: the API judges it, and its answer names the field.
    price: rawPrice === "" ? null : Number(rawPrice),
  };
}

function showValidation(error) {
  let shown = false;
  for (const [field, detail] of Object.entries(error.fields)) {
    if (FIELD_MESSAGES[field]) {
      fieldError(field, FIELD_MESSAGES[field]);
      shown = true;
    } else {
      setMessage("form-error", `入力を確かめてください（${field}: ${detail}）。`);
      shown = true;
    }
  }
  if (!shown) setMessage("form-error", `入力を確かめてください（${error.message}）。`);
  const first = document.querySelector("#item-form [aria-invalid='true']");
  if (first) first.focus();
}

function showImageFailure(error) {
  if (error.status === 413) fieldError("image", "画像は10 MB以下にしてください。");
  else if (error.status === 415) fieldError("image", "JPEG・PNG・WebP のいずれかの画像を選んでください。");
  else if (error.code === "invalid_image") fieldError("image", "画像ファイルが壊れているか、拡張子と中身の形式が違います。");
  else return false;
  return true;
}

async function save(event) {
  event.preventDefault();
  clearFieldErrors();
  const file = chosenImage();
  if (file === undefined) return;
  const form = $("item-form");
  const saveButton = $("save");
  busy(form, true);
  saveButton.textContent = "保存中…";
  let stage = "item";
  try {
    const fields = readForm();
    let item;
    if (state.editing) {
      item = await api(`/api/admin/items/${encodeURIComponent(state.editing.id)}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...fields, version: state.editing.version }),
      });
    } else {
      item = await api("/api/admin/items", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(fields),
      });
    }
    // From here on the item exists: a failed upload must not create it twice on the next save.
    state.editing = { id: item.id, version: item.version };
    $("editor-heading").textContent = `「${item.title}」を編集`;
    if (file) {
      stage = "image";
      item = await api(`/api/admin/items/${encodeURIComponent(item.id)}/image`, {
        method: "PUT",
        headers: { "Content-Type": file.type, "If-Match": `"${item.version}"` },
        body: file,
      });
    }
    closeEditor();
    await showCatalogue(`「${item.title}」を保存しました。`);
  } catch (error) {
    if (handleApiError(error)) return;
    if (error instanceof ApiFailure && error.status === 409) {
      $("conflict").hidden = false;
      $("conflict-reload").focus();
    } else if (error instanceof ApiFailure && error.status === 404) {
      setMessage("form-error", "この商品はほかの画面で削除されています。一覧に戻ってください。");
    } else if (error instanceof ApiFailure && error.status === 400 && stage === "item") {
      showValidation(error);
    } else if (error instanceof ApiFailure && stage === "image" && showImageFailure(error)) {
      setMessage("form-error", "商品は保存しましたが、画像は保存できませんでした。別の画像を選んで、もう一度保存してください。");
    } else {
      setMessage("form-error", describeFailure(error));
    }
  } finally {
    busy(form, false);
    saveButton.textContent = "保存";
  }
}

async function reloadEditedItem() {
  if (!state.editing) return;
  const button = $("conflict-reload");
  button.disabled = true;
  try {
    const item = await api(`/api/admin/items/${encodeURIComponent(state.editing.id)}`);
    state.editing = { id: item.id, version: item.version };
    clearFieldErrors();
    fillForm(item);
    setMessage("form-error", "最新の内容を読み込みました。必要なら直してから保存してください。");
  } catch (error) {
    if (handleApiError(error)) return;
    if (error instanceof ApiFailure && error.status === 404) {
      setMessage("form-error", "この商品はほかの画面で削除されています。一覧に戻ってください。");
    } else {
      setMessage("form-error", describeFailure(error));
    }
  } finally {
    button.disabled = false;
  }
}

// --- Wiring ----------------------------------------------------------------------------------------

function onSubmit(id, handler, errorId) {
  const form = $(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setMessage(errorId, "");
    busy(form, true);
    try {
      await handler();
    } catch (error) {
      setMessage(errorId, cognitoMessage(error));
      if (sessionTimedOut(error)) showSignIn(cognitoMessage(error));
    } finally {
      busy(form, false);
    }
  });
}

async function loadConfig() {
  const response = await fetch("config.json", { headers: { Accept: "application/json" }, cache: "no-cache" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = await response.json();
  for (const key of ["region", "userPoolId", "clientId", "cognitoEndpoint"]) {
    if (typeof config[key] !== "string" || !config[key]) throw new Error(`config.json: ${key} がありません`);
  }
  return config;
}

async function start() {
  $("status").hidden = false;
  try {
    state.config = await loadConfig();
  } catch (error) {
    showFatal(`設定を読み込めませんでした（${error.message}）。`);
    return;
  }
  if (loadTokens()) await showCatalogue();
  else showSignIn();
}

document.addEventListener("DOMContentLoaded", () => {
  onSubmit(
    "sign-in-form",
    async () => {
      setMessage("sign-in-notice", "");
      const username = $("username").value.trim();
      const password = $("password").value;
      if (!username || !password) throw new Error("ユーザー名とパスワードを入力してください");
      await signIn(username, password);
    },
    "sign-in-error",
  );
  onSubmit(
    "new-password-form",
    async () => {
      const password = $("new-password-input").value;
      if (password !== $("new-password-confirm").value) throw new Error("2つのパスワードが一致しません");
      await respond("NEW_PASSWORD_REQUIRED", { NEW_PASSWORD: password });
    },
    "new-password-error",
  );
  onSubmit("mfa-setup-form", () => finishMfaSetup($("mfa-setup-code").value.trim()), "mfa-setup-error");
  onSubmit(
    "mfa-form",
    () => respond("SOFTWARE_TOKEN_MFA", { SOFTWARE_TOKEN_MFA_CODE: $("mfa-code").value.trim() }),
    "mfa-error",
  );
  $("sign-out").addEventListener("click", signOut);
  $("new-item").addEventListener("click", () => openEditor(null));
  $("cancel").addEventListener("click", () => {
    closeEditor();
    showCatalogue();
  });
  $("item-form").addEventListener("submit", save);
  $("image").addEventListener("change", () => {
    setMessage("image-error", "");
    $("image").removeAttribute("aria-invalid");
    const file = chosenImage();
    setPreview(file || null);
  });
  $("conflict-reload").addEventListener("click", reloadEditedItem);
  $("retry").addEventListener("click", start);
  start();
});

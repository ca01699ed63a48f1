{{/* The release's name for every object, at most 63 characters. */}}
{{- define "ticketbridge.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object; the selector uses the first two. */}}
{{- define "ticketbridge.selectorLabels" -}}
app.kubernetes.io/name: ticketbridge
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ticketbridge.labels" -}}
{{ include "ticketbridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The Secret the pod reads its environment from. */}}
{{- define "ticketbridge.secretName" -}}
{{- default (include "ticketbridge.fullname" .) .Values.existingSecret -}}
{{- end -}}

"""What the importer knows of SurveyJS properties: those it reads (the importer or the
runtime), those of presentation only (nothing to map), and those it knows it cannot keep.
Anything else is reported as an unknown property."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


USED = _words(
    """
    cellType choices choicesEnableIf choicesFromQuestion choicesFromQuestionMode choicesMax
    choicesMin choicesOrder choicesStep choicesVisibleIf columns columnsVisibleIf defaultValue
    defaultValueExpression description dontKnowText elements enableIf expression hasNone
    hasOther hideIfChoicesEmpty html inputType isAllRowRequired isRequired items kizunaType
    label labelFalse labelTrue max maxLength maxRateDescription maxSelectedChoices
    maxValueExpression min minPanelCount minRateDescription minSelectedChoices
    minValueExpression multiSelect name noneText
    otherErrorText otherText panelCount placeHolder placeholder questions rateCount rateMax
    rateMin rateStep rateType rateValues readOnly refuseText requiredErrorText requiredIf
    resetValueIf rowCount rows rowsOrder rowsVisibleIf setValueExpression setValueIf
    showDontKnowItem showNoneItem showOtherItem showRefuseItem state templateElements
    templateVisibleIf title type validators valueName visible visibleIf
    """
)

PRESENTATION = _words(
    """
    acceptCarriageReturn addPanelText addRowText allowClear allowResize alternateRows
    autoGenerate autoGrow autocomplete buttonSize choicesLazyLoadEnabled colCount
    columnMinWidth commentPlaceholder confirmDelete contentMode cssClasses currency dataList
    descriptionLocation displayMode displayRateDescriptionsAsExtremeItems displayStyle format
    hasSelectAll hideColumnsIfEmpty hideIfRowsEmpty hideNumber horizontalScroll imageFit
    imageHeight imageWidth indent innerIndent isDraggable isUnique itemComponent itemSize
    labelRenderMode longTap maskSettings maskType maxErrorText maxPanelCount maxRowCount
    maxWidth minErrorText
    maximumFractionDigits minRowCount minWidth minimumFractionDigits noEntriesText
    otherPlaceholder panelAddText panelRemoveText panelsState progressBarShowPageTitles
    questionStartIndex questionTitleLocation rateColorMode rateDisplayMode rateIconSize
    readOnlyFormat removePanelText removeRowText renderAs renderMode rowTitleWidth rows_count
    scaleColorMode searchEnabled selectAllText selectToRankEnabled separateSpecialChoices
    showClearButton showHeader showInMultipleColumns showLabel showNumber showQuestionNumbers
    showRangeInProgress showSelectAllItem showTitle size sortOrder startWithNewLine step
    storeOthersAsComment swapOrder tabAlign templateDescription templateTabTitle templateTitle
    textUpdateMode titleLocation titleTooltip totalCurrency totalDisplayStyle totalFormat
    totalType transposeData verticalAlign width
    """
)

EXPRESSION_KEYS = _words(
    """
    choicesEnableIf choicesVisibleIf columnsVisibleIf defaultValueExpression enableIf
    expression maxValueExpression minValueExpression requiredIf resetValueIf rowsVisibleIf
    setValueExpression setValueIf templateVisibleIf visibleIf
    """
)

TRIGGERS = _words(
    """
    complete copyvalue runexpression setvalue skip visible
    """
)

SURVEY_USED = _words(
    """
    calculatedValues checkErrorsMode clearDisabledChoices clearInvisibleValues
    clearValueOnDisableItems completedHtml
    completedHtmlOnCondition description elements firstPageIsStartPage firstPageIsStarted locale
    pages questions
    textUpdateMode title
    triggers
    """
)

SURVEY_PRESENTATION = _words(
    """
    allowCompleteSurveyAutomatic autoAdvanceEnabled autoFocusFirstQuestion backgroundImage
    backgroundOpacity completeText completedBeforeHtml editText fitToContainer
    focusFirstQuestionAutomatic goNextPageAutomatic headerView loadingHtml logo logoFit
    logoHeight logoPosition logoWidth mode navigationButtonsVisibility pageNextText
    pagePrevText previewText progressBarType questionDescriptionLocation questionErrorLocation
    questionStartIndex questionTitleLocation questionsOrder readOnly requiredText
    sendResultOnPageNext showBrandInfo showCompletedPage showNavigationButtons showPageNumbers
    showPageTitles showPrevButton showPreviewBeforeComplete showProgressBar
    showQuestionNumbers showTOC showTimer showTimerPanel showTitle startSurveyText
    storeOthersAsComment titleLocation width widthMode
    """
)

DROPPED_TYPES = {
    "multipletext": "its answer is an object of texts, which no native element holds",
    "matrixdropdown": "its answer holds several columns per row, which no native matrix holds",
    "matrixdynamic": "its rows are added by the respondent, which no native element allows",
    "paneldynamic": "its panels repeat, which no native page or element does",
    "file": "Kizuna takes no file uploads",
    "signaturepad": "Kizuna takes no drawings",
    "image": "Kizuna shows no images",
    "slider": "no native slider",
}

UNSUPPORTED = {
    "correctAnswer": "quiz scoring is not kept",
    "choicesByUrl": "choices loaded from a web service are not fetched",
    "showCommentArea": "the comment beside the answer has no native place",
    "hasComment": "the comment beside the answer has no native place",
    "valueTrue": "a boolean's answer is true or false natively",
    "valueFalse": "a boolean's answer is true or false natively",
}

SURVEY_UNSUPPORTED = {
    "navigateToUrl": "redirects are not evaluated",
    "navigateToUrlOnCondition": "redirects are not evaluated",
    "questionsOnPageMode": "questions are evaluated page by page as written",
    "maxTimeToFinish": "time limits are not enforced",
    "maxTimeToFinishPage": "time limits are not enforced",
    "cookieName": "repeat answers are limited by Kizuna's recontact rules instead",
    "surveyId": "the SurveyJS service is not called",
    "surveyPostId": "the SurveyJS service is not called",
}

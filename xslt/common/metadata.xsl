<?xml version="1.0" encoding="UTF-8"?>
<!--
  Metadata extraction shared by all citation formats and the HTML header.
  te:record($TEI) turns a document's teiHeader (plus the edition header and the
  registers, passed in $context) into one flat <te:record>; each citation stylesheet
  only serialises that record.

  Params:
    base-url  permalink base; the permalink is {base-url}{xml:id}.html
              (default: the document's own publicationStmt/idno[@type='URI'] as it is, else
              {the edition header's idno[@type='URI']}{xml:id}.html, else none)
    edition-title  the edition's title, for a document that names no series and has no edition
              file beside it
    context   a document <te:context><te:file name="edition.xml"><TEI>…</TEI></te:file>…</te:context>
              holding the edition file and the registers (built by the engine, since doc() is refused).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <xsl:param name="base-url" as="xs:string" select="''"/>
  <xsl:param name="context" as="document-node()?" select="()"/>
  <xsl:param name="edition-title" as="xs:string" select="''"/>
  <!-- The document's name where it has no xml:id (its file name, or the site's page name),
       for its citation key and URL. -->
  <xsl:param name="document-id" as="xs:string" select="''"/>

  <xsl:key name="te:id" match="*[@xml:id]" use="@xml:id"/>

  <!-- The edition's own TEI: from the context, or the document itself when it is the edition file. -->
  <xsl:function name="te:edition" as="element(tei:TEI)?">
    <xsl:param name="tei" as="element(tei:TEI)"/>
    <xsl:sequence select="($tei[tei:text/@type = 'edition'], $context/te:context/te:file/tei:TEI[tei:text/@type = 'edition'])[1]"/>
  </xsl:function>

  <!-- A pointer ('persons.xml#id', '#id') resolved against the document and the registers. -->
  <xsl:function name="te:resolve" as="element()?">
    <xsl:param name="pointer" as="xs:string?"/>
    <xsl:param name="from" as="node()"/>
    <xsl:variable name="p" select="tokenize(normalize-space($pointer), ' ')[1]"/>
    <xsl:variable name="file" select="replace(substring-before($p || '#', '#'), '^.*/', '')"/>
    <xsl:variable name="id" select="substring-after($p, '#')"/>
    <xsl:sequence select="
      if ($id = '') then ()
      else if ($file = '') then key('te:id', $id, root($from))[1]
      else (for $f in $context/te:context/te:file[@name = $file] return key('te:id', $id, $f/root()),
            $context/te:context/te:file//*[@xml:id = $id])[1]"/>
  </xsl:function>

  <!-- One name as <te:name family= given= particle=/> or <te:name literal=/>. -->
  <xsl:function name="te:name" as="element(te:name)?">
    <xsl:param name="el" as="element()"/>
    <xsl:apply-templates select="$el" mode="te:name"/>
  </xsl:function>

  <xsl:template match="(tei:persName | tei:author | tei:editor)[tei:surname]" mode="te:name" priority="3">
    <te:name family="{normalize-space(string-join(tei:surname, ' '))}"
             given="{normalize-space(string-join((tei:forename, tei:addName[@type = 'patronymic']), ' '))}">
      <!-- Written family name first (as Chinese names are): keep that order when displayed.
           "<surname/>, <forename/>" is only the sorting form of a name written given name first. -->
      <xsl:if test="tei:forename and tei:surname[1] &lt;&lt; tei:forename[1]
                    and not(contains(string-join(text()[. &gt;&gt; current()/tei:surname[1]][. &lt;&lt; current()/tei:forename[1]]), ','))">
        <xsl:attribute name="order" select="'family-first'"/>
      </xsl:if>
      <xsl:if test="tei:nameLink">
        <xsl:attribute name="particle" select="normalize-space(string-join(tei:nameLink, ' '))"/>
      </xsl:if>
    </te:name>
  </xsl:template>
  <!-- No name parts: the register entry tells the parts. -->
  <xsl:template match="tei:persName[@ref][not(tei:surname)] | tei:orgName[@ref] | tei:name[@ref] | tei:rs[@ref]" mode="te:name" priority="2">
    <xsl:variable name="entry" select="te:resolve(@ref, .)"/>
    <xsl:variable name="names" select="($entry/tei:persName[@type = 'main'][tei:surname],
      $entry/tei:persName[tei:surname][not(@xml:lang) or starts-with(@xml:lang, 'en')], $entry/tei:persName[tei:surname],
      $entry/tei:persName, $entry/tei:orgName, $entry/tei:name)[1]"/>
    <xsl:choose>
      <xsl:when test="$names and not($names/@ref)">
        <xsl:apply-templates select="$names" mode="te:name"/>
      </xsl:when>
      <xsl:otherwise><xsl:next-match/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <!-- 'Family, Given' is split at the comma; anything else stays whole (never guessed). -->
  <xsl:template match="tei:persName | tei:name[not(@type = ('org', 'organisation'))]" mode="te:name">
    <xsl:sequence select="te:name-from-text(normalize-space(.))"/>
  </xsl:template>
  <xsl:function name="te:name-from-text" as="element(te:name)?">
    <xsl:param name="s" as="xs:string"/>
    <xsl:choose>
      <xsl:when test="matches($s, '^[^,]+,[^,]+$')">
        <te:name family="{normalize-space(substring-before($s, ','))}" given="{normalize-space(substring-after($s, ','))}"/>
      </xsl:when>
      <xsl:when test="$s != ''"><te:name literal="{$s}"/></xsl:when>
    </xsl:choose>
  </xsl:function>
  <xsl:template match="tei:orgName | tei:name" mode="te:name">
    <xsl:if test="normalize-space(.) != ''"><te:name literal="{normalize-space(.)}" institution="yes"/></xsl:if>
  </xsl:template>
  <!-- author/editor wrappers: their first name child, else their own text. -->
  <xsl:template match="tei:author | tei:editor" mode="te:name">
    <xsl:variable name="inner" select="(tei:persName | tei:orgName | tei:name)[1]"/>
    <xsl:choose>
      <xsl:when test="$inner"><xsl:apply-templates select="$inner" mode="te:name"/></xsl:when>
      <xsl:otherwise><xsl:sequence select="te:name-from-text(normalize-space(.))"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="tei:respStmt" mode="te:name">
    <xsl:apply-templates select="tei:persName | tei:orgName | tei:name" mode="te:name"/>
  </xsl:template>
  <xsl:template match="*" mode="te:name"/>

  <!-- A place's display name: its own text, else the register's. -->
  <xsl:function name="te:place-name" as="xs:string?">
    <xsl:param name="el" as="element()?"/>
    <xsl:sequence select="(normalize-space($el)[. != ''],
      normalize-space(te:resolve($el/@ref, $el)/tei:placeName[1]))[. != ''][1]"/>
  </xsl:function>

  <!-- A header's title: the main or article-level title, else the first that is not of a
       series, monograph or journal, else the first that is not of a series. -->
  <xsl:function name="te:title" as="xs:string">
    <xsl:param name="h" as="element(tei:teiHeader)?"/>
    <xsl:variable name="titles" select="$h/tei:fileDesc/tei:titleStmt/tei:title"/>
    <xsl:sequence select="te:plain(($titles[@type = 'main' or @level = 'a'][not(@level = 's')],
      $titles[not(@level = ('s', 'm', 'j'))], $titles[not(@level = 's')])[1])"/>
  </xsl:function>

  <!-- The words of a header element as one line: line breaks are spaces unless they join a
       word, notes and deletions are left out, a choice gives its first regular reading. -->
  <xsl:function name="te:plain" as="xs:string">
    <xsl:param name="el" as="element()?"/>
    <xsl:variable name="parts" as="xs:string*"><xsl:apply-templates select="$el/node()" mode="te:plain"/></xsl:variable>
    <xsl:sequence select="normalize-space(string-join($parts))"/>
  </xsl:function>
  <xsl:template match="text()" mode="te:plain"><xsl:sequence select="string(.)"/></xsl:template>
  <xsl:template match="*" mode="te:plain"><xsl:apply-templates mode="te:plain"/></xsl:template>
  <xsl:template match="tei:note | tei:del | tei:fw | comment() | processing-instruction()" mode="te:plain"/>
  <xsl:template match="tei:lb | tei:pb | tei:cb | tei:space" mode="te:plain">
    <xsl:sequence select="if (@break = 'no') then '' else ' '"/>
  </xsl:template>
  <xsl:template match="tei:choice" mode="te:plain">
    <xsl:apply-templates select="(tei:corr, tei:reg, tei:expan, *)[1]" mode="te:plain"/>
  </xsl:template>

  <!-- The editors a header names: editors of the title and series (with no other role), and
       the names of a respStmt for editing. -->
  <xsl:function name="te:editors" as="element()*">
    <xsl:param name="h" as="element(tei:teiHeader)?"/>
    <xsl:variable name="fd" select="$h/tei:fileDesc"/>
    <xsl:sequence select="($fd/tei:titleStmt/tei:editor, $fd/tei:seriesStmt/tei:editor)[not(@role) or te:editing(@role)],
      ($fd/tei:titleStmt | $fd/tei:seriesStmt | $fd/tei:editionStmt)/tei:respStmt[tei:resp[te:editing(.) or te:editing(@key) or te:editing(@ref)]]"/>
  </xsl:function>

  <!-- Does a resp (or role) say editing? In English, German, French or Italian, or as the MARC
       relator code edt. -->
  <xsl:function name="te:editing" as="xs:boolean">
    <xsl:param name="s" as="item()?"/>
    <xsl:sequence select="matches(normalize-space(lower-case(string($s))), '^(edit|[ée]dit|hrsg|herausg|a cura|curat)|(^|[/#])edt$')"/>
  </xsl:function>

  <!-- The record of a document (or of the edition file itself). -->
  <xsl:function name="te:record" as="element(te:record)">
    <xsl:param name="tei" as="element(tei:TEI)"/>
    <xsl:sequence select="te:record($tei, true())"/>
  </xsl:function>

  <!-- The same; without $full, only what the HTML page shows (title, type, id, date, place,
       periodical, original language): no author, recipient or editor (resolving names is the
       dearest part) and nothing from the edition's header. -->
  <xsl:function name="te:record" as="element(te:record)">
    <xsl:param name="tei" as="element(tei:TEI)"/>
    <xsl:param name="full" as="xs:boolean"/>
    <xsl:variable name="h" select="$tei/tei:teiHeader"/>
    <xsl:variable name="ed" select="if ($full) then te:edition($tei) else ()"/>
    <xsl:variable name="edh" select="$ed/tei:teiHeader"/>
    <xsl:variable name="is-edition" select="$tei/tei:text/@type = 'edition'"/>
    <xsl:variable name="sent" select="$h/tei:profileDesc/tei:correspDesc/tei:correspAction[@type = 'sent']"/>
    <xsl:variable name="received" select="$h/tei:profileDesc/tei:correspDesc/tei:correspAction[@type = 'received']"/>
    <xsl:variable name="src" select="$h/tei:fileDesc/tei:sourceDesc"/>
    <xsl:variable name="periodical" select="normalize-space(($src//tei:title[@level = 'j'])[1])"/>
    <!-- A newspaper article: marked so explicitly, or first published in a periodical on the day the
         text itself is dated (a text dated earlier and printed later, like an announcement reprinted
         in a paper, is a document). -->
    <xsl:variable name="issue-date" select="te:when(($src//tei:bibl[tei:title/@level = 'j']/tei:date)[1])"/>
    <xsl:variable name="own-date" select="te:when(($h/tei:profileDesc/tei:creation/tei:date, $tei/tei:text//tei:docDate, $tei/tei:text//tei:dateline//tei:date)[te:when(.)][1])"/>
    <xsl:variable name="type" select="
      if ($is-edition) then 'edition'
      else if ($sent) then 'letter'
      else if ($src//tei:bibl/@subtype = ('article', 'newspaper-article') or $src//tei:bibl/@type = ('article', 'newspaper-article')
               or $h/tei:profileDesc/tei:textClass//(tei:catRef/@target, tei:classCode, tei:term) = ('newspaper-article', '#newspaper-article')) then
        (if ($periodical != '') then 'article-newspaper' else 'document')
      else if ($periodical != '' and (empty($own-date) or $own-date = $issue-date)) then 'article-newspaper'
      else 'document'"/>
    <xsl:variable name="title" select="te:title($h)"/>
    <!-- The date of sending, of writing, the date in the title, then the source's dates. -->
    <xsl:variable name="date-el" select="($sent/tei:date, $h/tei:profileDesc/tei:creation/(tei:date | tei:origDate),
      $h/tei:fileDesc/tei:titleStmt/tei:title[not(@level = 's')]//tei:date,
      $src//tei:bibl[@type = 'original']/tei:date, $src//tei:bibl/tei:date, $src//tei:date,
      $tei/tei:text//(tei:docDate | tei:dateline//tei:date))[te:when(.)][1]"/>
    <xsl:variable name="date" select="if ($is-edition) then te:when(($h/tei:fileDesc/tei:publicationStmt/tei:date)[1]) else te:when($date-el)"/>
    <xsl:variable name="langs" select="$h/tei:profileDesc/tei:langUsage/tei:language/@ident/string()"/>
    <xsl:variable name="lang" select="($tei/@xml:lang, $tei/tei:text/@xml:lang, $langs[1])[normalize-space()][1] ! string(.)"/>
    <!-- The language of the original: one the header names as such, the language of the source
         (not of a translation it lists), or, when the source is listed as an original and a
         translation, another language of langUsage. A language the text merely uses is none. -->
    <xsl:variable name="orig" select="($h/tei:profileDesc/tei:langUsage/tei:language[@usage = 'original' or @role = 'original']/@ident,
      $src//tei:textLang[not(ancestor::tei:bibl[@type = 'translation'])]/(@mainLang, @xml:lang),
      $langs[$src//tei:bibl/@type = ('original', 'translation')])[normalize-space()][. != $lang][1] ! string(.)"/>
    <xsl:variable name="base" select="($base-url[normalize-space()],
      $edh/tei:fileDesc/tei:publicationStmt/tei:idno[@type = ('URI', 'URL', 'url', 'uri')],
      $edh/tei:fileDesc/tei:publicationStmt/tei:ptr/@target)[normalize-space()][1] ! normalize-space(.)"/>
    <xsl:variable name="base" select="if ($base = '' or empty($base)) then () else if (ends-with($base, '/')) then $base else $base || '/'"/>
    <xsl:variable name="id" select="($tei/@xml:id, $document-id[normalize-space()], 'document')[1] ! string(.)"/>
    <xsl:variable name="own-url" select="if ($base-url[normalize-space()] or $is-edition) then ()
      else ($h/tei:fileDesc/tei:publicationStmt/tei:idno[@type = ('URI', 'URL', 'url', 'uri')])[normalize-space()][1] ! te:safe-url(normalize-space(.))"/>
    <te:record type="{$type}" id="{$id}" key="{replace($id, '[^A-Za-z0-9_:\-]', '-')}">
      <te:title><xsl:value-of select="$title"/></te:title>
      <xsl:choose>
        <xsl:when test="$is-edition or not($full)"/>
        <xsl:when test="$sent">
          <xsl:for-each select="$sent/(tei:persName | tei:orgName | tei:name)">
            <te:author><xsl:sequence select="te:name(.)/@*"/></te:author>
          </xsl:for-each>
        </xsl:when>
        <xsl:otherwise>
          <xsl:for-each select="($h/tei:fileDesc/tei:titleStmt/tei:author, $src/tei:bibl/tei:author)[1]/../tei:author">
            <te:author><xsl:sequence select="te:name(.)/@*"/></te:author>
          </xsl:for-each>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:for-each select="$received[$full]/(tei:persName | tei:orgName | tei:name)">
        <te:recipient><xsl:sequence select="te:name(.)/@*"/></te:recipient>
      </xsl:for-each>
      <!-- The edition's editors (from its file, else this header), each once. -->
      <xsl:for-each-group select="if ($full) then (for $e in (if (exists(te:editors($edh))) then te:editors($edh) else te:editors($h)) return te:name($e)) else ()"
                          group-by="te:display-name(.)">
        <te:editor><xsl:sequence select="@*"/></te:editor>
      </xsl:for-each-group>
      <xsl:if test="$date"><te:date iso="{$date}"/></xsl:if>
      <xsl:variable name="place" select="(te:place-name(($sent/tei:placeName, $h/tei:profileDesc/tei:creation/tei:placeName)[1]),
        normalize-space(($src//tei:pubPlace)[1]))[. != ''][1]"/>
      <xsl:if test="$place"><te:place><xsl:value-of select="$place"/></te:place></xsl:if>
      <xsl:if test="$periodical != '' and not($is-edition)"><te:periodical><xsl:value-of select="$periodical"/></te:periodical></xsl:if>
      <!-- The edition as container: the series this document names, else the edition file's
           title, else the edition-title parameter. -->
      <xsl:for-each select="if ($is-edition or not($full)) then () else
        (te:plain(($h/tei:fileDesc/tei:titleStmt/tei:title[@level = 's'], $h/tei:fileDesc/tei:seriesStmt/tei:title)[1]),
         te:title($edh), normalize-space($edition-title))[. != ''][1]">
        <te:container><xsl:value-of select="."/></te:container>
      </xsl:for-each>
      <xsl:for-each select="if ($full) then (($edh, $h[empty($edh)])/tei:fileDesc/tei:publicationStmt/(tei:publisher | tei:authority)
                            ! normalize-space(.))[. != ''][1] else ()">
        <te:publisher><xsl:value-of select="."/></te:publisher>
      </xsl:for-each>
      <xsl:for-each select="($edh/tei:fileDesc/tei:editionStmt/tei:edition/@n, $edh/tei:fileDesc/tei:editionStmt/tei:edition)[normalize-space()][1]">
        <te:version><xsl:value-of select="normalize-space(.)"/></te:version>
      </xsl:for-each>
      <xsl:for-each select="if ($full) then te:when((($edh, $h[empty($edh)])/tei:fileDesc/tei:publicationStmt/tei:date)[1]) else ()">
        <te:edition-date iso="{.}"/>
      </xsl:for-each>
      <xsl:if test="exists($base) or $own-url != ''">
        <te:url><xsl:value-of select="if ($own-url != '') then $own-url else if ($is-edition) then $base else $base || encode-for-uri($id) || '.html'"/></te:url>
      </xsl:if>
      <xsl:if test="$lang and $full"><te:language code="{$lang}" name="{te:language-name($lang)}"/></xsl:if>
      <xsl:if test="$orig and $orig != $lang"><te:original-language code="{$orig}" name="{te:language-name($orig)}"/></xsl:if>
      <xsl:for-each select="($edh/tei:fileDesc/tei:publicationStmt/tei:availability/tei:licence)[1]">
        <te:licence target="{@target}"><xsl:value-of select="normalize-space(.)"/></te:licence>
      </xsl:for-each>
    </te:record>
  </xsl:function>

  <!-- 'Family, Given' (or the literal) for BibTeX/RIS-style name lists. -->
  <xsl:function name="te:family-first" as="xs:string">
    <xsl:param name="n" as="element()"/>
    <xsl:sequence select="if ($n/@literal) then string($n/@literal)
      else string-join(((string-join(($n/@particle, $n/@family), ' ')), $n/@given[normalize-space()]), ', ')"/>
  </xsl:function>

  <!-- 'Given Family' for display. -->
  <xsl:function name="te:display-name" as="xs:string">
    <xsl:param name="n" as="element()"/>
    <xsl:sequence select="if ($n/@literal) then string($n/@literal)
      else if ($n/@order = 'family-first') then normalize-space(string-join(($n/@particle, $n/@family, $n/@given), ' '))
      else normalize-space(string-join(($n/@given, $n/@particle, $n/@family), ' '))"/>
  </xsl:function>

</xsl:stylesheet>

<?xml version="1.0" encoding="UTF-8"?>
<!--
  One semantic HTML5 page per TEI document.

  Structure (a stable contract for the site builder):
    <html lang> <head>… <title> …</head>
    <body class="tei-page">
      <main id="tei_main">
        <article class="tei-document" id="tei-{doc xml:id}" data-doc="{doc xml:id}" lang>
          <header class="tei-header">  h1.tei-title, p.tei-meta (dl.tei-meta: sender, recipient, date, source)
          <div class="tei-text">       the reading text: section.tei-div, h2…h6.tei-head, p.tei-p (id = tei-{xml:id} or tei_p-{n}, data-n = n),
                                       div.tei-opener/.tei-closer, p.tei-dateline/.tei-salute/.tei-signed,
                                       blockquote.tei-quote[cite][data-source], q, i.tei-foreign[lang],
                                       a.entity[data-ref][data-type][href], time[datetime], a.tei-noteref
          <section class="tei-notes" role="doc-endnotes"> ol > li#tei_note-{n} with a.tei-backlink
                                       (markers: a.tei-noteref#tei_noteref-{n})
    Ids copied from the source start with tei- (id-prefix); ids the page makes itself start
    with tei_ (gen-id-prefix), so the two never collide: an input id "main" becomes tei-main,
    the page's own main is tei_main.
        </article>
      </main>
    </body>
  Params:
    fragment      'yes' = output only the <article> (to embed in another page)
    css           URL of a stylesheet to link (optional)
    register-url  pattern of register links, '{file}.html#{id}' (see common/functions.xsl)
    document-url  pattern of links to other documents and to whole files, '{file}.html'
    id-prefix     prefix of all ids taken from the source ('tei-')
    gen-id-prefix prefix of the ids the page generates ('tei_'): main, p-{n}, note-{n}, noteref-{n}
    choice        readings of choice (see common/text.xsl)
  No attribute is copied from the input: on* and style never reach the output; URLs pass
  te:safe-url (relative, http, https, mailto only).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  xmlns:map="http://www.w3.org/2005/xpath-functions/map"
  exclude-result-prefixes="#all">

  <xsl:import href="common/functions.xsl"/>
  <xsl:import href="common/text.xsl"/>
  <xsl:import href="common/metadata.xsl"/>
  <!-- Included again here, so its rules outrank this module's rule for any element. -->
  <xsl:include href="common/omitted.xsl"/>

  <xsl:output method="html" html-version="5.0" encoding="UTF-8" indent="no"/>

  <xsl:param name="fragment" as="xs:string" select="'no'"/>
  <xsl:param name="css" as="xs:string" select="''"/>
  <xsl:param name="gen-id-prefix" as="xs:string" select="'tei_'"/>

  <xsl:template match="/">
    <xsl:variable name="tei" select="(tei:TEI, tei:teiCorpus/tei:TEI)[1]"/>
    <!-- The record is made once, for the title and the article header, and only what they show
         (te:meta takes the correspondents from the source). -->
    <xsl:variable name="record" select="te:record($tei, false())"/>
    <xsl:choose>
      <xsl:when test="$fragment = ('yes', 'true', '1')">
        <xsl:variable name="article" as="element()">
          <xsl:apply-templates select="$tei" mode="te:article">
            <xsl:with-param name="record" select="$record"/>
          </xsl:apply-templates>
        </xsl:variable>
        <xsl:sequence select="$article"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="lang" select="($tei/@xml:lang, $tei/tei:text/@xml:lang)[1]"/>
        <html>
          <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
          <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title><xsl:value-of select="$record/te:title"/></title>
            <xsl:if test="te:safe-url($css) != ''">
              <link rel="stylesheet" href="{te:safe-url($css)}"/>
            </xsl:if>
          </head>
          <body class="tei-page">
            <!-- Straight into the page: an article built in a variable is copied once more. -->
            <main id="{$gen-id-prefix}main">
              <xsl:apply-templates select="$tei" mode="te:article">
                <xsl:with-param name="record" select="$record"/>
              </xsl:apply-templates>
            </main>
          </body>
        </html>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="tei:TEI" mode="te:article">
    <xsl:param name="record" as="element(te:record)" select="te:record(., false())"/>
    <xsl:variable name="id" select="string($record/@id)"/>
    <article class="tei-document tei-type-{te:class-token($record/@type)}" id="{te:html-id($id)}" data-doc="{$id}">
      <xsl:call-template name="te:lang"/>
      <header class="tei-header">
        <h1 class="tei-title"><xsl:value-of select="$record/te:title"/></h1>
        <xsl:call-template name="te:meta"><xsl:with-param name="record" select="$record"/></xsl:call-template>
      </header>
      <div class="tei-text">
        <xsl:for-each select="tei:text/@xml:lang"><xsl:attribute name="lang" select="."/></xsl:for-each>
        <xsl:apply-templates select="tei:text/node()" mode="te:html"/>
      </div>
      <!-- A note's content is rendered here, away from its marker: it starts again outside any
           phrasing content or link (the tunnel parameters' defaults, see te:children). -->
      <xsl:variable name="notes" select="te:notes(tei:text)"/>
      <xsl:if test="$notes">
        <section class="tei-notes" role="doc-endnotes" aria-label="Notes">
          <h2 class="tei-notes-head">Notes</h2>
          <ol>
            <xsl:for-each select="$notes">
              <xsl:variable name="n" select="te:note-number(.)"/>
              <li id="{$gen-id-prefix}note-{$n}" class="tei-note" value="{$n}">
                <xsl:call-template name="te:lang"/>
                <xsl:apply-templates mode="te:html"/>
                <xsl:text> </xsl:text>
                <a class="tei-backlink" href="#{$gen-id-prefix}noteref-{$n}" role="doc-backlink" aria-label="Back to the text">↩</a>
              </li>
            </xsl:for-each>
          </ol>
        </section>
      </xsl:if>
    </article>
  </xsl:template>

  <!-- The HTML id for an element's xml:id: only the first element carrying it gets it
       (a duplicated xml:id must not give the page a duplicated id). -->
  <xsl:function name="te:own-id" as="xs:string?">
    <xsl:param name="el" as="element()"/>
    <xsl:sequence select="if ($el/@xml:id and $el is key('te:id', $el/@xml:id, root($el))[1])
      then te:html-id($el/@xml:id) else ()"/>
  </xsl:function>

  <!-- Key facts of the header as a description list (only what the header holds). -->
  <xsl:template name="te:meta">
    <xsl:param name="record" as="element(te:record)"/>
    <xsl:variable name="h" select="tei:teiHeader"/>
    <xsl:variable name="sent" select="$h/tei:profileDesc/tei:correspDesc/tei:correspAction[@type = 'sent']"/>
    <xsl:variable name="received" select="$h/tei:profileDesc/tei:correspDesc/tei:correspAction[@type = 'received']"/>
    <dl class="tei-meta">
      <xsl:if test="$sent/(tei:persName | tei:orgName | tei:name)">
        <dt>From</dt>
        <dd class="tei-sender"><xsl:apply-templates select="$sent/(tei:persName | tei:orgName | tei:name)" mode="te:meta-name"/></dd>
      </xsl:if>
      <xsl:if test="$received/(tei:persName | tei:orgName | tei:name)">
        <dt>To</dt>
        <dd class="tei-recipient"><xsl:apply-templates select="$received/(tei:persName | tei:orgName | tei:name)" mode="te:meta-name"/></dd>
      </xsl:if>
      <xsl:for-each select="$record/te:date">
        <dt>Date</dt>
        <dd class="tei-date"><time datetime="{@iso}"><xsl:value-of select="te:format-date(@iso)"/></time></dd>
      </xsl:for-each>
      <xsl:for-each select="$record/te:place">
        <dt>Place</dt><dd class="tei-place"><xsl:value-of select="."/></dd>
      </xsl:for-each>
      <xsl:for-each select="$record/te:periodical">
        <dt>Published in</dt><dd class="tei-source"><cite><xsl:value-of select="."/></cite></dd>
      </xsl:for-each>
      <xsl:for-each select="$record/te:original-language">
        <dt>Original language</dt><dd class="tei-original-language"><xsl:value-of select="@name"/></dd>
      </xsl:for-each>
    </dl>
  </xsl:template>

  <xsl:template match="*" mode="te:meta-name">
    <xsl:if test="position() gt 1">, </xsl:if>
    <xsl:variable name="name" select="te:name(.)"/>
    <xsl:variable name="label" select="(normalize-space(.)[. != ''], $name/te:display-name(.), te:pointer-label(string(@ref)))[. != ''][1]"/>
    <xsl:call-template name="te:entity-link">
      <xsl:with-param name="content" select="$label"/>
    </xsl:call-template>
  </xsl:template>

  <!-- ===== mode te:html: the reading text ===== -->

  <!-- Facts about an element travel down as tunnel parameters, set by te:children for the
       children it renders (walking the ancestors of every element was most of the time):
         te:phrasing  it is inside HTML phrasing content (the value of te:phrasing);
         te:in-link   it is inside a link (see te:is-link);
         te:inline    it is known to be inline (true: te:is-inline need not be asked again;
                      false: not known).
       All start false, for the text and for each note in the endnotes. -->

  <xsl:template name="te:lang">
    <xsl:if test="@xml:lang"><xsl:attribute name="lang" select="@xml:lang"/></xsl:if>
  </xsl:template>

  <!-- Common attributes: id (prefixed), lang, class from the element name. -->
  <xsl:template name="te:attrs">
    <xsl:param name="class" as="xs:string" select="'tei-' || te:class-token(local-name())"/>
    <xsl:for-each select="te:own-id(.)"><xsl:attribute name="id" select="."/></xsl:for-each>
    <xsl:call-template name="te:lang"/>
    <xsl:attribute name="class" select="if (empty(@rend | @type)) then $class else string-join(($class,
      for $r in tokenize(normalize-space(@rend), ' ') return 'rend-' || te:class-token($r),
      for $t in @type return 'type-' || te:class-token($t)), ' ')"/>
  </xsl:template>

  <!-- The child nodes (default: all) in mode te:html, told what this element makes of them:
       phrasing content when it is inline or renders as a p/heading (te:phrasing's rule), a link
       when it is one (links outside a note going to the endnotes do not count inside it, see
       te:is-link), and inline when this element is inline and no note (what an inline element
       renders holds no block) or is a paragraph holding only inline content. $inline:
       te:is-inline(.), when the template knows it; the paragraph templates pass $phrasing and
       $children-inline. -->
  <xsl:template name="te:children">
    <xsl:param name="nodes" as="node()*" select="node()"/>
    <xsl:param name="inline" as="xs:boolean?" select="()"/>
    <xsl:param name="te:phrasing" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:param name="te:in-link" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:param name="phrasing" as="xs:boolean" select="$te:phrasing or ($inline, te:is-inline(.))[1]
      or (local-name() = $te:para-names and te:renders-para(.))"/>
    <xsl:param name="children-inline" as="xs:boolean" select="$inline and not(self::tei:note)"/>
    <xsl:apply-templates select="$nodes" mode="te:html">
      <xsl:with-param name="te:phrasing" tunnel="yes" select="$phrasing"/>
      <xsl:with-param name="te:in-link" tunnel="yes" select="not(self::tei:note[not(@place = 'inline')]) and ($te:in-link or te:is-link(.))"/>
      <xsl:with-param name="te:inline" tunnel="yes" select="$children-inline"/>
    </xsl:apply-templates>
  </xsl:template>

  <!-- An element that is $tag when inline, else a div (it holds blocks), with the common
       attributes; $nodes: the children to render. -->
  <xsl:template name="te:inline-element">
    <xsl:param name="tag" as="xs:string"/>
    <xsl:param name="nodes" as="node()*" select="node()"/>
    <xsl:param name="te:inline" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="inline" select="$te:inline or te:is-inline(.)"/>
    <xsl:element name="{if ($inline) then $tag else 'div'}">
      <xsl:call-template name="te:attrs"/>
      <xsl:call-template name="te:children">
        <xsl:with-param name="nodes" select="$nodes"/>
        <xsl:with-param name="inline" select="$inline"/>
      </xsl:call-template>
    </xsl:element>
  </xsl:template>

  <!-- Unknown or container elements: a div when they hold blocks, else a span. Text is kept. -->
  <xsl:template match="*" mode="te:html">
    <xsl:call-template name="te:inline-element"><xsl:with-param name="tag" select="'span'"/></xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:text | tei:body | tei:front | tei:back" mode="te:html">
    <div>
      <xsl:call-template name="te:attrs"/>
      <xsl:call-template name="te:children"/>
    </div>
  </xsl:template>

  <xsl:template match="tei:div | tei:div1 | tei:div2 | tei:div3 | tei:div4 | tei:div5 | tei:div6 | tei:div7" mode="te:html">
    <section>
      <xsl:call-template name="te:attrs"><xsl:with-param name="class" select="'tei-div'"/></xsl:call-template>
      <xsl:call-template name="te:children"/>
    </section>
  </xsl:template>

  <!-- Paragraph-like elements: an HTML p (or h2-h6 for head) when they hold only inline
       content, a div when they hold blocks, and a span inside phrasing content (HTML allows
       no p inside a p or a heading). -->
  <xsl:variable name="te:para-names" as="xs:string*" select="('p', 'ab', 'head', 'dateline', 'salute', 'signed',
    'byline', 'trailer', 'docDate', 'docAuthor', 'l', 'addrLine', 'speaker', 'stage', 'label', 'docImprint',
    'titlePart', 'docTitle', 'bibl', 'castItem', 'figDesc', 'item', 'row', 'cell')"/>

  <!-- Does this element sit inside HTML phrasing content (an inline element or a rendered p/heading)?
       A note is rendered in the endnotes, so only its own ancestors below the note count.
       Templates get this as the tunnel parameter te:phrasing; the function serves te:tabular. -->
  <xsl:function name="te:phrasing" as="xs:boolean">
    <xsl:param name="el" as="element()"/>
    <xsl:variable name="note" select="$el/ancestor::tei:note[not(@place = 'inline')][1]"/>
    <xsl:variable name="ancestors" select="$el/ancestor::*[empty($note) or . &gt;&gt; $note]"/>
    <xsl:sequence select="some $a in $ancestors satisfies
      (te:is-inline($a) or (local-name($a) = $te:para-names and te:renders-para($a)))"/>
  </xsl:function>

  <xsl:function name="te:renders-para" as="xs:boolean">
    <xsl:param name="el" as="element()"/>
    <xsl:sequence select="not($el/self::tei:item[parent::tei:list]) and not($el/self::tei:row[te:tabular(..)])
      and not($el/self::tei:cell[parent::tei:row[te:tabular(..)]]) and te:is-inline-content($el)"/>
  </xsl:function>

  <!-- A table whose children are only head and rows of cells becomes an HTML table. -->
  <xsl:function name="te:tabular" as="xs:boolean">
    <xsl:param name="table" as="element()"/>
    <xsl:sequence select="$table/self::tei:table and empty($table/text()[normalize-space()])
      and (every $c in $table/* satisfies ($c/self::tei:head or $c/self::tei:row[empty(text()[normalize-space()])][every $d in * satisfies $d/self::tei:cell]))
      and not(te:phrasing($table))"/>
  </xsl:function>

  <!-- The HTML element for an inline TEI element: its own tag, or a div when it holds blocks. -->
  <xsl:function name="te:tag" as="xs:string">
    <xsl:param name="el" as="element()"/>
    <xsl:param name="tag" as="xs:string"/>
    <xsl:sequence select="if (te:is-inline($el)) then $tag else 'div'"/>
  </xsl:function>

  <!-- A paragraph-like element or an inline note (not an item of a list, nor a row or cell of an
       HTML table, which have their own templates): $tag when it holds only inline content, else
       a div; a span in phrasing content. Its content is phrasing when it is inline or renders as
       $tag, and its element children are inline when it holds only inline content. -->
  <xsl:template name="te:para">
    <xsl:param name="tag" as="xs:string" select="'p'"/>
    <xsl:param name="class" as="xs:string" select="'tei-' || te:class-token(local-name())"/>
    <xsl:param name="id" as="xs:string?" select="()"/>
    <xsl:param name="data-n" as="xs:integer?" select="()"/>
    <xsl:param name="te:phrasing" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="inline-content" select="te:is-inline-content(.)"/>
    <xsl:element name="{if ($te:phrasing) then 'span' else if ($inline-content) then $tag else 'div'}">
      <xsl:call-template name="te:attrs"><xsl:with-param name="class" select="$class"/></xsl:call-template>
      <xsl:if test="exists($id)"><xsl:attribute name="id" select="$id"/></xsl:if>
      <xsl:if test="exists($data-n)"><xsl:attribute name="data-n" select="$data-n"/></xsl:if>
      <xsl:call-template name="te:children">
        <xsl:with-param name="phrasing" select="$te:phrasing or $inline-content or te:is-inline(.)"/>
        <xsl:with-param name="children-inline" select="$inline-content"/>
      </xsl:call-template>
    </xsl:element>
  </xsl:template>

  <xsl:template match="tei:head" mode="te:html">
    <xsl:variable name="depth" select="count(ancestor::*[starts-with(local-name(), 'div')]) + 1"/>
    <xsl:call-template name="te:para">
      <xsl:with-param name="tag" select="if (parent::tei:list or parent::tei:lg or parent::tei:figure or parent::tei:table)
        then 'p' else 'h' || min((max((2, $depth)), 6))"/>
    </xsl:call-template>
  </xsl:template>

  <!-- Paragraphs carry an anchor: the source id, else tei-p-{n} (n counts the paragraphs of the text). -->
  <xsl:template match="tei:p | tei:ab" mode="te:html">
    <xsl:variable name="n" select="($te:paragraph-numbers(generate-id(.)), 0)[1]"/>
    <xsl:call-template name="te:para">
      <xsl:with-param name="class" select="'tei-p'"/>
      <xsl:with-param name="id" select="if (empty(te:own-id(.))) then $gen-id-prefix || 'p-' || $n else ()"/>
      <xsl:with-param name="data-n" select="$n"/>
    </xsl:call-template>
  </xsl:template>

  <!-- Paragraph numbers in document order over the text, computed once (xsl:number per
       paragraph was quadratic). -->
  <xsl:variable name="te:paragraph-numbers" as="map(xs:string, xs:integer)" select="let $ps := (//tei:text[not(ancestor::tei:text)])[1]//(tei:p | tei:ab)
    return map:merge(for $i in 1 to count($ps) return map{generate-id($ps[$i]): $i})"/>

  <!-- Does an element hold only inline content (so it may be an HTML p)? -->
  <xsl:function name="te:is-inline-content" as="xs:boolean">
    <xsl:param name="el" as="element()"/>
    <xsl:sequence select="every $c in $el/* satisfies te:is-inline($c)"/>
  </xsl:function>

  <xsl:template match="tei:opener | tei:closer | tei:postscript | tei:epigraph | tei:argument | tei:lg | tei:floatingText | tei:address" mode="te:html">
    <xsl:call-template name="te:inline-element"><xsl:with-param name="tag" select="'span'"/></xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:dateline | tei:salute | tei:signed | tei:byline | tei:trailer | tei:docDate | tei:docAuthor
                       | tei:l | tei:addrLine | tei:speaker | tei:stage | tei:label | tei:docImprint | tei:titlePart
                       | tei:docTitle | tei:castItem | tei:figDesc | tei:item | tei:row | tei:cell" mode="te:html">
    <xsl:call-template name="te:para"/>
  </xsl:template>

  <!-- Runs of items become ul/ol; anything else in the list (head, loose text) stays in its place.
       A list is a container, no link and never inline: its children get the tunnel parameters
       unchanged. -->
  <xsl:template match="tei:list" mode="te:html">
    <xsl:variable name="list" select="."/>
    <xsl:element name="{te:tag(., 'div')}">
      <xsl:call-template name="te:attrs"/>
      <xsl:for-each-group select="node()" group-adjacent="exists(self::tei:item) or (self::text() and normalize-space() = '')">
        <xsl:choose>
          <xsl:when test="current-grouping-key() and current-group()/self::tei:item">
            <xsl:element name="{if ($list/@type = ('ordered', 'numbered') or $list/@rend = ('ordered', 'numbered')) then 'ol' else 'ul'}">
              <xsl:apply-templates select="current-group()/self::tei:item" mode="te:html"/>
            </xsl:element>
          </xsl:when>
          <xsl:otherwise><xsl:apply-templates select="current-group()" mode="te:html"/></xsl:otherwise>
        </xsl:choose>
      </xsl:for-each-group>
    </xsl:element>
  </xsl:template>
  <xsl:template match="tei:list/tei:item" mode="te:html" priority="2">
    <li><xsl:call-template name="te:attrs"/><xsl:call-template name="te:children"/></li>
  </xsl:template>

  <xsl:template match="tei:table[te:tabular(.)]" mode="te:html" priority="2">
    <table><xsl:call-template name="te:attrs"/>
      <xsl:for-each select="tei:head[1]"><caption><xsl:call-template name="te:children"/></caption></xsl:for-each>
      <tbody><xsl:call-template name="te:children"><xsl:with-param name="nodes" select="tei:row"/></xsl:call-template></tbody>
    </table>
    <xsl:call-template name="te:children"><xsl:with-param name="nodes" select="tei:head[position() gt 1]"/></xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:table[te:tabular(.)]/tei:row" mode="te:html" priority="2">
    <tr><xsl:call-template name="te:children"><xsl:with-param name="nodes" select="tei:cell"/></xsl:call-template></tr>
  </xsl:template>
  <xsl:template match="tei:table[te:tabular(.)]/tei:row/tei:cell" mode="te:html" priority="2">
    <td><xsl:call-template name="te:attrs"/><xsl:call-template name="te:children"/></td>
  </xsl:template>

  <!-- Quotations: blockquote citing its source when it holds blocks, else q. -->
  <xsl:template match="tei:quote | tei:q | tei:said | tei:cit" mode="te:html">
    <xsl:param name="te:inline" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="inline" select="$te:inline or te:is-inline(.)"/>
    <xsl:variable name="cite" select="if (@source) then te:document-href(@source) else ''"/>
    <xsl:element name="{if ($inline) then 'q' else 'blockquote'}">
      <xsl:call-template name="te:attrs"><xsl:with-param name="class" select="'tei-quote'"/></xsl:call-template>
      <xsl:if test="$cite != ''"><xsl:attribute name="cite" select="$cite"/></xsl:if>
      <xsl:if test="@source"><xsl:attribute name="data-source" select="normalize-space(@source)"/></xsl:if>
      <xsl:call-template name="te:children"><xsl:with-param name="inline" select="$inline"/></xsl:call-template>
    </xsl:element>
    <xsl:if test="$cite != '' and not($inline)">
      <p class="tei-quote-source"><a href="{$cite}">Source of the quotation</a></p>
    </xsl:if>
  </xsl:template>
  <xsl:template match="tei:soCalled" mode="te:html">
    <q><xsl:call-template name="te:attrs"/><xsl:call-template name="te:children"/></q>
  </xsl:template>

  <xsl:template match="tei:foreign | tei:term[@xml:lang]" mode="te:html">
    <xsl:call-template name="te:inline-element"><xsl:with-param name="tag" select="'i'"/></xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:title" mode="te:html">
    <xsl:call-template name="te:inline-element"><xsl:with-param name="tag" select="'cite'"/></xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:emph" mode="te:html">
    <xsl:call-template name="te:inline-element"><xsl:with-param name="tag" select="'em'"/></xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:hi" mode="te:html">
    <xsl:variable name="r" select="lower-case(string(@rend))"/>
    <xsl:call-template name="te:inline-element">
      <xsl:with-param name="tag" select="if (contains($r, 'ital')) then 'i' else if (contains($r, 'bold')) then 'b'
        else if (contains($r, 'sup')) then 'sup' else if (contains($r, 'sub')) then 'sub'
        else if (contains($r, 'under')) then 'u' else 'span'"/>
    </xsl:call-template>
  </xsl:template>

  <!-- Mentions link to their register entries. -->
  <xsl:template match="tei:persName[@ref] | tei:placeName[@ref] | tei:orgName[@ref] | tei:rs[@ref] | tei:name[@ref]
                       | tei:title[@ref]" mode="te:html" priority="2">
    <xsl:call-template name="te:entity-link"/>
  </xsl:template>
  <xsl:template match="tei:persName | tei:placeName | tei:orgName | tei:rs | tei:name" mode="te:html">
    <span><xsl:call-template name="te:attrs"/><xsl:call-template name="te:children"/></span>
  </xsl:template>

  <xsl:template name="te:entity-link">
    <xsl:param name="content" as="item()*" select="()"/>
    <xsl:param name="te:in-link" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:param name="te:inline" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="inline" select="$te:inline or te:is-inline(.)"/>
    <xsl:variable name="type" select="
      if (self::tei:persName) then 'person' else if (self::tei:placeName) then 'place'
      else if (self::tei:orgName) then 'org' else if (@type) then te:class-token(@type)
      else te:class-token(local-name())"/>
    <xsl:variable name="href" select="if (not(@ref) or $te:in-link) then '' else te:mention-href(.)"/>
    <xsl:variable name="tag" select="if (not($inline)) then 'div' else if ($href != '') then 'a' else 'span'"/>
    <xsl:element name="{$tag}">
      <xsl:for-each select="te:own-id(.)"><xsl:attribute name="id" select="."/></xsl:for-each>
      <xsl:call-template name="te:lang"/>
      <xsl:attribute name="class" select="'entity'"/>
      <xsl:if test="@ref"><xsl:attribute name="data-ref" select="normalize-space(@ref)"/></xsl:if>
      <xsl:attribute name="data-type" select="$type"/>
      <xsl:if test="$href != ''"><xsl:attribute name="href" select="$href"/></xsl:if>
      <xsl:choose>
        <xsl:when test="exists($content)"><xsl:value-of select="$content"/></xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="te:children"><xsl:with-param name="inline" select="$inline"/></xsl:call-template>
          <!-- A link with no text could not be seen nor followed. -->
          <xsl:if test="$tag = 'a' and normalize-space(.) = ''"><xsl:value-of select="te:pointer-label(@ref)"/></xsl:if>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:element>
  </xsl:template>

  <!-- What names a pointer when nothing else does: its fragment, else its file name. -->
  <xsl:function name="te:pointer-label" as="xs:string">
    <xsl:param name="ref" as="xs:string"/>
    <xsl:sequence select="(reverse(te:pointer-parts($ref))[. != ''], '')[1]"/>
  </xsl:function>

  <xsl:template match="tei:date | tei:time" mode="te:html">
    <xsl:param name="te:inline" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="iso" select="te:when(.)"/>
    <xsl:variable name="inline" select="$te:inline or te:is-inline(.)"/>
    <xsl:variable name="timed" select="$iso castable as xs:date or $iso castable as xs:gYearMonth or $iso castable as xs:gYear
                            or $iso castable as xs:dateTime or $iso castable as xs:time"/>
    <xsl:element name="{if (not($inline)) then 'div' else if ($timed) then 'time' else 'span'}">
      <xsl:call-template name="te:attrs"><xsl:with-param name="class" select="'tei-date'"/></xsl:call-template>
      <xsl:if test="$inline and $timed">
        <xsl:attribute name="datetime" select="$iso"/>
      </xsl:if>
      <xsl:call-template name="te:children"><xsl:with-param name="inline" select="$inline"/></xsl:call-template>
    </xsl:element>
  </xsl:template>

  <!-- A pointer to a note of the text is that note's marker (the first pointer takes its id). -->
  <xsl:template match="tei:ref[@target][te:note-pointed-by(.)] | tei:ptr[@target][te:note-pointed-by(.)]"
                mode="te:html" priority="2">
    <xsl:param name="te:in-link" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="note" select="te:note-pointed-by(.)"/>
    <xsl:variable name="n" select="te:note-number($note)"/>
    <xsl:variable name="first" select="key('te:pointed', string($note/@xml:id))[1] is ."/>
    <xsl:element name="{if ($te:in-link) then 'sup' else 'a'}">
      <xsl:attribute name="class" select="'tei-noteref'"/>
      <xsl:if test="$first"><xsl:attribute name="id" select="$gen-id-prefix || 'noteref-' || $n"/></xsl:if>
      <xsl:if test="not($te:in-link)">
        <xsl:attribute name="href" select="'#' || $gen-id-prefix || 'note-' || $n"/>
        <xsl:attribute name="role" select="'doc-noteref'"/>
        <sup><xsl:value-of select="$n"/></sup>
      </xsl:if>
      <xsl:if test="$te:in-link"><xsl:value-of select="$n"/></xsl:if>
    </xsl:element>
  </xsl:template>
  <xsl:template match="tei:note[@xml:id][te:pointed-note(.)]" mode="te:html" priority="3"/>

  <!-- Links: only safe URLs become hrefs; pointers to .xml files go to the document pages. -->
  <xsl:template match="tei:ref | tei:ptr" mode="te:html">
    <xsl:param name="te:in-link" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:param name="te:inline" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="inline" select="$te:inline or te:is-inline(.)"/>
    <xsl:variable name="target" select="te:first-token((@target, @url)[1])"/>
    <xsl:variable name="href" select="if (contains($target, '.xml') and matches($target, '^[^:/?#]*\.xml(#.*)?$') or starts-with($target, '#'))
      then (if (starts-with($target, '#')) then '#' || te:html-id(substring($target, 2)) else te:document-href($target))
      else te:safe-url($target)"/>
    <xsl:element name="{if (not($inline)) then 'div' else if ($href != '' and not($te:in-link)) then 'a' else 'span'}">
      <xsl:call-template name="te:attrs"/>
      <xsl:if test="$href != ''"><xsl:attribute name="href" select="$href"/></xsl:if>
      <xsl:choose>
        <xsl:when test="self::tei:ptr or not(node())"><xsl:value-of select="($target[$href != ''], '')[1]"/></xsl:when>
        <xsl:otherwise><xsl:call-template name="te:children"><xsl:with-param name="inline" select="$inline"/></xsl:call-template></xsl:otherwise>
      </xsl:choose>
    </xsl:element>
  </xsl:template>

  <xsl:template match="tei:choice | tei:app" mode="te:html">
    <xsl:call-template name="te:inline-element">
      <xsl:with-param name="tag" select="'span'"/>
      <xsl:with-param name="nodes" select="te:chosen(.)"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:space" mode="te:html">
    <xsl:text> </xsl:text>
  </xsl:template>
  <xsl:template match="tei:lb | tei:cb" mode="te:html">
    <xsl:if test="not(te:joins(.))"><xsl:text> </xsl:text></xsl:if>
  </xsl:template>
  <xsl:template match="tei:lb[te:keeps-line(.)]" mode="te:html" priority="2">
    <!-- The newline keeps the words apart in the page's text (search, copy), not only on screen. -->
    <xsl:if test="not(te:joins(.))"><br class="tei-lb"/><xsl:text>&#10;</xsl:text></xsl:if>
  </xsl:template>
  <xsl:template match="tei:note[@place = 'inline']" mode="te:html" priority="2">
    <xsl:call-template name="te:para"><xsl:with-param name="class" select="'tei-note tei-note-inline'"/></xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:pb" mode="te:html">
    <span class="tei-pb" role="separator">
      <xsl:if test="@n"><xsl:attribute name="data-n" select="@n"/></xsl:if>
      <xsl:for-each select="te:own-id(.)"><xsl:attribute name="id" select="."/></xsl:for-each>
    </span>
    <xsl:if test="not(te:joins(.))"><xsl:text> </xsl:text></xsl:if>
  </xsl:template>
  <xsl:template match="text()" mode="te:html">
    <xsl:value-of select="."/>
  </xsl:template>
  <!-- (Text next to fw only, with no break on its other side, is rare: leaving fw out of this
       pattern, tried on every text node, saved 3% of the text output's time.) -->
  <xsl:template match="text()[following-sibling::node()[1][self::tei:lb or self::tei:pb or self::tei:cb]
                              or preceding-sibling::node()[1][self::tei:lb or self::tei:pb or self::tei:cb]]"
                mode="te:html" priority="2">
    <xsl:value-of select="te:text-value(.)"/>
  </xsl:template>
  <xsl:template match="comment() | processing-instruction()" mode="te:html"/>
  <xsl:template match="tei:teiHeader | tei:facsimile | tei:standOff" mode="te:html"/>

  <!-- The link of a mention: to a document of the edition, else to a register entry.
       With the context, a pointer to a file there that is no register leads to a document;
       without it, a pointer with a file name on rs of type document/letter/text/note does. -->
  <xsl:function name="te:mention-href" as="xs:string">
    <xsl:param name="el" as="element()"/>
    <xsl:variable name="ref" select="string($el/@ref)"/>
    <xsl:sequence select="if (not($te:with-context) and te:pointer-parts($ref)[1] != ''
        and $el/self::tei:rs/@type = ('document', 'letter', 'text', 'note')) then te:document-href($ref)
      else ($te:ref-hrefs($ref), te:ref-href($ref))[1]"/>
  </xsl:function>

  <!-- The link for a pointer alone: a pointer within the document leads to its place in the page
       (te:local-href); a whole file (no fragment) to its page; with the context, a pointer to a
       file there that is no register leads to a document (te:document-href), else to a register
       entry (te:register-href); the pointer is parsed once. -->
  <xsl:function name="te:ref-href" as="xs:string">
    <xsl:param name="ref" as="xs:string"/>
    <xsl:variable name="parts" select="te:pointer-parts($ref)"/>
    <xsl:sequence select="if ($parts[1] = '') then te:local-href($parts[2])
      else if ($parts[2] = '' or ($te:with-context and not(map:contains($te:register-files, $parts[1]))))
      then te:document-link(te:without-xml($parts)) else te:register-link(te:without-xml($parts))"/>
  </xsl:function>

  <!-- '#' and the HTML id of the element with xml:id $id, as tei:ref links within the page;
       '' when the page has no such element (the header, standOff and the registers in <back>
       are not rendered). -->
  <xsl:function name="te:local-href" as="xs:string">
    <xsl:param name="id" as="xs:string"/>
    <xsl:sequence select="if (key('te:id', $id, $te:source)[1][not(te:left-out(.))]) then '#' || te:html-id($id) else ''"/>
  </xsl:function>

  <!-- Per distinct @ref of the source, computed once (the string work per mention was a third
       of the time). -->
  <xsl:variable name="te:refs" as="xs:string*" select="distinct-values($te:source//@ref ! string(.))"/>
  <xsl:variable name="te:ref-hrefs" as="map(xs:string, xs:string)" select="
    map:merge(for $r in $te:refs return map{$r: te:ref-href($r)})"/>

  <xsl:variable name="te:with-context" as="xs:boolean" select="exists($context/te:context/te:file)"/>
  <!-- Names of the context files that are registers (their text is not of type edition). -->
  <xsl:variable name="te:register-files" as="map(xs:string, xs:boolean)" select="map:merge(
    $context/te:context/te:file[tei:TEI/tei:text/@type != 'edition' or not(tei:TEI/tei:text/@type)]/@name ! map{string(.): true()},
    map{'duplicates': 'use-first'})"/>

  <!-- Is this element a link of the page (HTML forbids a link inside a link: a mention inside a
       linked mention becomes a span)? Its descendants get te:in-link = true, up to a note that
       goes to the endnotes, away from the links around its marker (an inline note stays in place). -->
  <xsl:function name="te:is-link" as="xs:boolean">
    <xsl:param name="el" as="element()"/>
    <xsl:sequence select="exists($el[(@ref and (self::tei:persName or self::tei:placeName or self::tei:orgName
      or self::tei:rs or self::tei:name or self::tei:title)) or self::tei:ref[@target or @url] or self::tei:ptr])"/>
  </xsl:function>

  <xsl:template match="tei:note" mode="te:html">
    <xsl:param name="te:in-link" as="xs:boolean" select="false()" tunnel="yes"/>
    <xsl:variable name="n" select="te:note-number(.)"/>
    <xsl:choose>
      <xsl:when test="$te:in-link">
        <sup class="tei-noteref" id="{$gen-id-prefix}noteref-{$n}"><xsl:value-of select="$n"/></sup>
      </xsl:when>
      <xsl:otherwise>
        <a class="tei-noteref" id="{$gen-id-prefix}noteref-{$n}" href="#{$gen-id-prefix}note-{$n}" role="doc-noteref"><sup><xsl:value-of select="$n"/></sup></a>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <!-- In the endnote list a note's own paragraphs are rendered as p inside its li (an li may hold
       blocks); a p inside the note's phrasing content becomes a span (te:para). -->

  <xsl:template match="tei:graphic | tei:media" mode="te:html">
    <xsl:variable name="href" select="te:safe-url(@url)"/>
    <xsl:if test="$href != ''"><a class="tei-graphic" href="{$href}">[image]</a></xsl:if>
    <xsl:call-template name="te:children"/>
  </xsl:template>

</xsl:stylesheet>
